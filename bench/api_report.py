"""The API load benchmark's section of docs/benchmarks.md, written from its measured cells:
tables per worker count and the issue's targets checked against them."""

from __future__ import annotations

SCENARIOS = {
    "compatibility_5": "`/compatibility`, 5 items",
    "fitb_4_candidates": "`/fitb`, 4 candidates",
    "fitb_top10": "`/fitb` retrieval, top 10",
    "embed_300px_jpeg": "`/embed`, 300x300 JPEG",
}
# The targets: (scenario, clients, the p99 bound in ms, the req/s floor or None)
P99_TARGETS = [("compatibility_5", 32, 25.0, 1000.0), ("fitb_4_candidates", 32, 25.0, 1000.0),
               ("fitb_top10", 8, 30.0, None)]


def _n(value: float) -> str:
    return f"{value:,.1f}" if value >= 100 else f"{value:.2f}"


def _table(rows: list[dict], generators: list[str]) -> list[str]:
    head = "| scenario | clients |"
    rule = "|---|---:|"
    for g in generators:
        head += f" {g} req/s | {g} p50 ms | {g} p99 ms | {g} p99 of each round |"
        rule += "---:|---:|---:|---|"
    lines = [head, rule]
    by_key = {(r["scenario"], r["clients"], r["generator"]): r for r in rows}
    seen = []
    for r in rows:
        if (r["scenario"], r["clients"]) not in seen:
            seen.append((r["scenario"], r["clients"]))
    previous = None
    for scenario, clients in seen:
        label = SCENARIOS.get(scenario, scenario) if scenario != previous else ""
        previous = scenario
        line = f"| {label} | {clients} |"
        for g in generators:
            cell = by_key.get((scenario, clients, g))
            if cell is None:
                line += " | | | |"
                continue
            runs = ", ".join(_n(v) for v in cell["p99_runs"])
            line += (f" {_n(cell['rps'])} | {_n(cell['p50_ms'])} | {_n(cell['p99_ms'])} | "
                     f"{runs} |")
        lines.append(line)
    return lines


def targets(summary: list[dict]) -> list[str]:
    """One line per target, met or missed, for the largest worker count measured."""
    if not summary:
        return []
    workers = max(r["workers"] for r in summary)
    lines = []
    for scenario, clients, p99_bound, rps_floor in P99_TARGETS:
        cells = [r for r in summary if r["workers"] == workers and r["scenario"] == scenario
                 and r["clients"] == clients]
        if not cells:
            continue
        label = SCENARIOS[scenario]
        worst_p99 = max(c["p99_ms"] for c in cells)
        figures = ", ".join(f"{c['generator']} {_n(c['p99_ms'])} ms" for c in cells)
        verdict = "met" if worst_p99 <= p99_bound else "MISSED"
        lines.append(f"- {label}, p99 <= {p99_bound:g} ms at {clients} clients with {workers} "
                     f"workers: **{verdict}** (median round: {figures}).")
        if rps_floor is not None:
            low = min(c["rps"] for c in cells)
            figures = ", ".join(f"{c['generator']} {_n(c['rps'])}" for c in cells)
            verdict = "met" if low >= rps_floor else "MISSED"
            lines.append(f"- {label}, >= {rps_floor:,.0f} req/s at {clients} clients with "
                         f"{workers} workers: **{verdict}** ({figures} req/s).")
    embed = [r for r in summary if r["workers"] == workers
             and r["scenario"] == "embed_300px_jpeg"]
    one = [r for r in embed if r["clients"] == 1]
    if one:
        best = max(embed, key=lambda r: r["rps"])
        lines.append("- `/embed`, one 300x300 JPEG: p50 "
                     + ", ".join(f"{r['generator']} {_n(r['p50_ms'])} ms" for r in one)
                     + f" at 1 client; at most {_n(best['rps'])} images/s "
                       f"({best['clients']} clients, {best['generator']}).")
    return lines


def section(heading: str, header: dict, args: dict, summary: list[dict],
            bundle: dict) -> str:
    generators = list(dict.fromkeys(r["generator"] for r in summary))
    errors = sum(r["errors"] for r in summary)
    lines = [heading, "", "```bash", header["command"], "```", "",
             f"{header['date']}, {header['cpu']}, 2 cores shared by the server's workers and "
             "the load generator. `uptime` before: "
             f"`{header['uptime_before']}`; after: `{header['uptime_after']}`.", "",
             f"`lookbook serve` (uvicorn with uvloop and httptools, the JSON access log on, "
             f"torch and faiss on one thread per worker) over a bundle of {bundle['items']:,} "
             f"items ({bundle['index']} index, {bundle['layout']} layout), on loopback. "
             "Closed-loop keep-alive clients: `wrk` (C, one thread, bodies from a Lua script) "
             "and this script's asyncio client, one after the other on each cell. Each cell: "
             f"{args['warmup']:g} s warm-up, then {args['seconds']:g} s counted, repeated in "
             f"{args['repeat']} round(s) taken in turn over all cells; the tables give the "
             "median round (req/s, p50 and p99 each the median over the rounds) and every "
             f"round's p99. Errors over all cells: {errors}.", ""]
    for workers in sorted({r["workers"] for r in summary}):
        rows = [r for r in summary if r["workers"] == workers]
        lines += [f"{workers} worker(s):", "", *_table(rows, generators), ""]
    lines += ["Against the issue's targets:", "", *targets(summary), ""]
    return "\n".join(lines)
