"""What the issue asks of docker-compose.yml, read from the file: the trainer in a profile of
its own with a GPU reservation, the dataset bind-mounted read-only and the output in a named
volume; the API mounting that volume read-only and waiting for a valid bundle; a demo that
`docker compose up` alone starts, with no GPU and no dataset; every setting from .env with
the default .env.example documents."""

from __future__ import annotations

import re

from conftest import ENV_EXAMPLE

VARIABLE = re.compile(r"\$\{(\w+)([^}]*)\}")  # name, then ":-default" (or what else is there)


def volume_mounts(service: dict) -> list[dict]:
    """Short and long volume syntax alike, as {type, source, target, read_only}."""
    mounts = []
    for entry in service.get("volumes", []):
        if isinstance(entry, str):
            parts = entry.split(":")
            source, target = parts[0], parts[1]
            kind = "bind" if source.startswith((".", "/", "$")) else "volume"
            mounts.append({"type": kind, "source": source, "target": target,
                           "read_only": len(parts) > 2 and "ro" in parts[2].split(",")})
        else:
            mounts.append({"read_only": False, **entry})
    return mounts


def devices(service: dict) -> list[dict]:
    resources = service.get("deploy", {}).get("resources", {})
    return resources.get("reservations", {}).get("devices", [])


def test_docker_compose_up_alone_starts_the_demo_only(compose):
    default = {name for name, s in compose["services"].items() if not s.get("profiles")}
    assert default == {"demo"}


def test_demo_needs_no_gpu_and_no_dataset(compose):
    demo = compose["services"]["demo"]
    assert devices(demo) == []
    assert "gpus" not in demo
    assert all(m["type"] == "volume" for m in volume_mounts(demo))  # nothing from the host
    assert demo["command"][:2] == ["lookbook", "demo"]
    assert "--host" in demo["command"] and "0.0.0.0" in demo["command"]
    assert demo["build"]["dockerfile"] == "docker/Dockerfile.api"  # the CPU image
    assert any(port.endswith(":8000") for port in demo["ports"])


def test_trainer_has_its_own_profile_and_reserves_gpus(compose):
    trainer = compose["services"]["trainer"]
    assert trainer["profiles"] == ["train"]
    assert trainer["build"]["dockerfile"] == "docker/Dockerfile.train"
    (gpu,) = devices(trainer)
    assert gpu["driver"] == "nvidia" and "gpu" in gpu["capabilities"]
    assert gpu["count"] == "${TRAIN_GPUS:-1}"
    # and the job runs as many processes as it reserves GPUs
    assert trainer["environment"]["LOOKBOOK_GPUS"] == gpu["count"]


def test_trainer_reads_the_dataset_from_a_bind_mount_and_writes_a_named_volume(compose):
    trainer = compose["services"]["trainer"]
    mounts = {m["target"]: m for m in volume_mounts(trainer)}
    data = mounts["/data"]
    assert data["type"] == "bind" and data["read_only"] is True
    assert data["source"].startswith("${DATASET_DIR")
    assert data.get("bind", {}).get("create_host_path") is False
    out = mounts["/artifacts"]
    assert out["type"] == "volume" and out["source"] in compose["volumes"]
    assert out["read_only"] is False


def test_api_mounts_the_trainers_volume_read_only_and_waits_for_a_valid_bundle(compose):
    api, trainer = compose["services"]["api"], compose["services"]["trainer"]
    mounts = {m["target"]: m for m in volume_mounts(api)}
    trainer_out = {m["target"]: m for m in volume_mounts(trainer)}["/artifacts"]
    assert mounts["/artifacts"]["source"] == trainer_out["source"]
    assert mounts["/artifacts"]["read_only"] is True
    assert api["environment"]["LOOKBOOK_ARTIFACTS"].startswith("/artifacts/bundles/")
    # the image's entry point waits for a servable bundle: no command may bypass it
    assert "command" not in api and "entrypoint" not in api
    # with the train profile on, Compose also holds it until the trainer has succeeded
    assert api["depends_on"]["trainer"] == {"condition": "service_completed_successfully",
                                            "required": False}
    assert api["read_only"] is True
    assert "ports" not in api  # reached through the load balancer, so it can be scaled


def test_load_balancer_waits_for_healthy_replicas(compose):
    lb = compose["services"]["lb"]
    assert lb["profiles"] == compose["services"]["api"]["profiles"]
    assert lb["depends_on"]["api"]["condition"] == "service_healthy"
    assert any(":8080" in m for m in lb["volumes"] + lb["ports"])


def strings(node) -> list[str]:
    """Every string in the parsed file, keys and values (comments are not part of it)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in strings(k) + strings(v)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [node] if isinstance(node, str) else []


def variables(compose) -> list[tuple[str, str]]:
    return [hit for text in strings(compose) for hit in VARIABLE.findall(text)]


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_every_setting_has_a_default_documented_in_env_example(compose):
    used, documented = variables(compose), env_example()
    assert {name for name, _ in used} == set(documented)
    # a default wherever a variable is used (a missing .env runs as documented), the same
    # everywhere, and the one .env.example gives
    for name, rest in used:
        assert rest.startswith(":-"), f"${{{name}{rest}}} has no default"
        default = rest[2:]
        assert default == documented[name], f"{name}: compose {default!r}, .env.example " \
            f"{documented[name]!r}"


def test_every_env_example_variable_is_explained():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for n, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            above = lines[n - 1]
            assert above.startswith("# ") or lines[n - 1].partition("=")[0].isupper(), line
