"""The bundle's format version: new bundles carry this code's, the previous version's bundles
are still served, others are refused with which version they have, which this code reads,
and what to do."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from index.config import IndexConfig
from index.manifest import FORMAT_VERSION, READABLE_VERSIONS, BundleError, file_sha256
from index.mutate import add_items, remove_items
from index.search import CatalogIndex

REBUILD = "lookbook build-index"


def _manifest(bundle) -> dict:
    return json.loads((bundle / "manifest.json").read_text())


def _set_manifest(bundle, **changes) -> None:
    (bundle / "manifest.json").write_text(json.dumps(_manifest(bundle) | changes))


def as_version_2(bundle) -> None:
    """Make `bundle` what version 2 wrote: no url_name in items.json, the Flat default
    resolved to per_pair (the caller builds it so), and the version number 2."""
    items = json.loads((bundle / "items.json").read_text())
    (bundle / "items.json").write_text(json.dumps(
        [{k: v for k, v in item.items() if k != "url_name"} for item in items]))
    manifest = _manifest(bundle)
    manifest["files"]["items.json"] = file_sha256(bundle / "items.json")
    assert manifest["layout"] == "per_pair"
    manifest["index_config"]["layout"] = "auto"
    manifest["format_version"] = 2
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def _hits(catalog: CatalogIndex, outfit=(0, 1, 2), k=10) -> list[tuple[int, list[int]]]:
    return [(t, [h.index for h in catalog.search(list(outfit), t, k)])
            for t in range(len(catalog.types))]


def test_new_bundles_carry_this_version_which_reads_the_previous_one_too():
    assert FORMAT_VERSION == 3
    assert READABLE_VERSIONS == (2, 3)


def test_a_new_bundle_is_written_and_read_as_this_version(synthetic):
    bundle = synthetic()
    assert _manifest(bundle)["format_version"] == FORMAT_VERSION
    catalog = CatalogIndex.load(bundle)
    assert catalog.manifest.format_version == FORMAT_VERSION
    assert catalog.layout == "factored"


def test_a_version_2_bundle_is_still_served_as_it_was_built(synthetic):
    current = CatalogIndex.load(synthetic(config=IndexConfig(layout="per_pair")))
    old = synthetic(config=IndexConfig(layout="per_pair"))
    as_version_2(old)
    catalog = CatalogIndex.load(old)
    assert catalog.manifest.format_version == 2 and catalog.layout == "per_pair"
    assert not any("url_name" in item for item in catalog.items)
    assert _hits(catalog) == _hits(current)
    assert all(len(rows) == 10 for _, rows in _hits(catalog))


def test_stock_changes_to_a_version_2_bundle_keep_it_version_2(synthetic):
    bundle = synthetic(config=IndexConfig(layout="per_pair"))
    as_version_2(bundle)
    catalog = CatalogIndex.load(bundle)
    new = {"item_id": "new0", "type": catalog.types[0], "url_name": "red-tote-bag"}
    add_items(bundle, [new], np.ones((1, catalog.manifest.embedding_dim), np.float32))
    manifest = remove_items(bundle, [catalog.items[0]["item_id"]])
    assert manifest.format_version == 2 and manifest.n_removed == 1
    assert CatalogIndex.load(bundle).items[-1]["url_name"] == "red-tote-bag"


def test_a_newer_bundle_is_refused_as_built_by_a_newer_version(synthetic):
    bundle = synthetic()
    # a newer version may also change the schema: the version is what the message names
    _set_manifest(bundle, format_version=FORMAT_VERSION + 1, layout="sharded", shards=4)
    with pytest.raises(BundleError) as info:
        CatalogIndex.load(bundle)
    message = str(info.value)
    assert f"format version {FORMAT_VERSION + 1}" in message
    assert "newer version of Lookbook" in message
    assert "this code reads format versions 2 and 3" in message
    assert REBUILD in message and "upgrade Lookbook" in message
    assert "not a valid manifest" not in message


def test_an_older_unreadable_bundle_is_refused_with_both_versions(synthetic):
    bundle = synthetic()
    _set_manifest(bundle, format_version=1)
    with pytest.raises(BundleError) as info:
        CatalogIndex.load(bundle)
    message = str(info.value)
    assert "format version 1, older than this code reads (format versions 2 and 3)" in message
    assert REBUILD in message


@pytest.mark.parametrize("version", ["3", None, True, 2.5])
def test_a_version_that_is_no_number_is_refused(synthetic, version):
    bundle = synthetic()
    _set_manifest(bundle, format_version=version)
    with pytest.raises(BundleError, match=re.escape(f"format_version is {version!r}, not a "
                                                    "version number")):
        CatalogIndex.load(bundle)


def test_a_missing_version_is_refused_not_taken_for_this_one(synthetic):
    bundle = synthetic()
    manifest = _manifest(bundle)
    del manifest["format_version"]
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="format_version is None"):
        CatalogIndex.load(bundle)


def test_serve_names_the_versions_on_one_error_line(synthetic, capsys):
    from app.cli import main

    bundle = synthetic()
    _set_manifest(bundle, format_version=FORMAT_VERSION + 1)
    assert main(["serve", "--artifacts", str(bundle)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lookbook: error: ")
    assert f"format version {FORMAT_VERSION + 1}, built by a newer version" in err[0]
    assert REBUILD in err[0]
