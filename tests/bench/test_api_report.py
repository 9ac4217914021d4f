"""The API load benchmark's summary and docs section, from cells it could have measured: the
median over rounds, and targets called met or missed from the figures, never by hand."""

from bench import api_report
from bench.api_load import summarize


def _cell(scenario, clients, generator, round_, rps, p50, p99, workers=2):
    return {"scenario": scenario, "workers": workers, "generator": generator,
            "round": round_, "clients": clients, "requests": int(rps * 4), "errors": 0,
            "rps": rps, "p50_ms": p50, "p99_ms": p99}


def _cells():
    cells = []
    for r, (p99_wrk, p99_py) in enumerate([(21.0, 30.0), (19.0, 22.0), (40.0, 24.0)]):
        cells += [_cell("compatibility_5", 32, "wrk", r, 3000 + r, 10.0 + r, p99_wrk),
                  _cell("compatibility_5", 32, "python", r, 2500 - r, 12.0, p99_py),
                  _cell("fitb_top10", 8, "wrk", r, 900.0, 8.0, 14.0 + r),
                  _cell("embed_300px_jpeg", 1, "wrk", r, 40.0, 25.0 + r, 30.0),
                  _cell("embed_300px_jpeg", 8, "wrk", r, 60.0 + r, 120.0, 200.0)]
    return cells


def test_summary_takes_the_median_of_each_figure_over_the_rounds():
    rows = {(r["scenario"], r["clients"], r["generator"]): r for r in summarize(_cells())}
    wrk = rows[("compatibility_5", 32, "wrk")]
    assert wrk["rounds"] == 3
    assert wrk["p99_ms"] == 21.0 and wrk["p99_runs"] == [21.0, 19.0, 40.0]
    assert wrk["rps"] == 3001.0 and wrk["p50_ms"] == 11.0
    assert rows[("compatibility_5", 32, "python")]["p99_ms"] == 24.0


def test_targets_are_judged_from_the_worst_generator():
    lines = api_report.targets(summarize(_cells()))
    text = "\n".join(lines)
    assert "p99 <= 25 ms at 32 clients with 2 workers: **met** (median round: wrk 21.00 ms, " \
           "python 24.00 ms)" in text
    assert ">= 1,000 req/s at 32 clients with 2 workers: **met**" in text
    assert "retrieval, top 10, p99 <= 30 ms at 8 clients with 2 workers: **met**" in text
    assert "p50 wrk 26.00 ms at 1 client; at most 61.00 images/s (8 clients, wrk)" in text
    slow = [dict(c, p99_ms=c["p99_ms"] + 10) if c["generator"] == "python" else c
            for c in _cells()]
    assert "**MISSED** (median round: wrk 21.00 ms, python 34.00 ms)" in "\n".join(
        api_report.targets(summarize(slow)))


def test_the_section_holds_the_command_the_load_and_a_row_per_cell():
    header = {"command": "python -m bench.api_load --repeat 3", "date": "2026-11-30",
              "cpu": "cpu", "uptime_before": "up 1", "uptime_after": "up 2"}
    text = api_report.section("## API (issue 5)", header,
                              {"warmup": 1.0, "seconds": 4.0, "repeat": 3},
                              summarize(_cells()),
                              {"items": 2400, "index": "Flat", "layout": "factored"})
    assert text.startswith("## API (issue 5)\n")
    assert "python -m bench.api_load --repeat 3" in text and "`up 1`" in text
    assert "| `/compatibility`, 5 items | 32 | 3,001.0 | 11.00 | 21.00 | 21.00, 19.00, " \
           "40.00 | 2,499.0 | 12.00 | 24.00 | 30.00, 22.00, 24.00 |" in text
