"""Scores a list of run results: confusion table, recall per kind, false alarms.

A result is a dict with `scenario`, `expected`, `acceptable`, `found`, `fault_shown`, `error`
(see `harness.Result`). Runs whose fault did not show (`fault_shown` False) and runs that failed
(`error`) are counted apart: they are not detector misses.

Example:

>>> runs = [{"scenario": "a", "expected": ["plateau"], "acceptable": [], "found": ["plateau"],
...          "fault_shown": True, "error": None}]
>>> recall_per_kind(runs)["plateau"]
(1, 1)
"""

HEALTHY = "healthy"
NOTHING = "(none)"


def scored(results):
    """The results that count: the run worked and its fault (or health) showed."""
    return [r for r in results if r["error"] is None and r["fault_shown"]]


def false_alarms(result):
    """Kinds found that are neither expected nor acceptable for the run."""
    allowed = set(result["expected"]) | set(result["acceptable"])
    return sorted(set(result["found"]) - allowed)


def _diagnosed(result):
    """A faulty run is diagnosed when every expected kind is found; a healthy one when nothing is."""
    if not result["expected"]:
        return not result["found"]
    return set(result["expected"]) <= set(result["found"])


def recall_per_kind(results):
    """`{kind: (runs where it was found, runs where it was expected)}` over scored results."""
    recall = {}
    for result in scored(results):
        for kind in result["expected"]:
            hits, total = recall.get(kind, (0, 0))
            recall[kind] = (hits + (kind in result["found"]), total + 1)
    return recall


def confusion(results):
    """`{true kind or "healthy": {found kind or "(none)": runs}}` over scored results; a run
    with several expected kinds counts in each of their rows."""
    table = {}
    for result in scored(results):
        for truth in result["expected"] or [HEALTHY]:
            row = table.setdefault(truth, {})
            for kind in result["found"] or [NOTHING]:
                row[kind] = row.get(kind, 0) + 1
    return table


def summary(results):
    """Headline figures: diagnosed faulty runs, false alarms per healthy and per faulty run,
    runs whose fault did not show, failed runs."""
    counted = scored(results)
    faulty = [r for r in counted if r["expected"]]
    healthy = [r for r in counted if not r["expected"]]
    return {
        "runs": len(results),
        "faulty_runs": len(faulty),
        "diagnosed": sum(_diagnosed(r) for r in faulty),
        "healthy_runs": len(healthy),
        "healthy_with_finding": sum(bool(r["found"]) for r in healthy),
        "faulty_with_false_alarm": sum(bool(false_alarms(r)) for r in faulty),
        "fault_not_shown": sum(r["error"] is None and not r["fault_shown"] for r in results),
        "failed": sum(r["error"] is not None for r in results),
    }


def per_scenario(results):
    """`{scenario: {"runs", "shown", "diagnosed", "false_alarms": {kind: runs}, "failed"}}`
    ("diagnosed" for a healthy scenario: runs with no finding)."""
    rows = {}
    for result in results:
        row = rows.setdefault(result["scenario"], {"runs": 0, "shown": 0, "diagnosed": 0,
                                                    "false_alarms": {}, "failed": 0})
        row["runs"] += 1
        if result["error"] is not None:
            row["failed"] += 1
            continue
        if not result["fault_shown"]:
            continue
        row["shown"] += 1
        row["diagnosed"] += _diagnosed(result)
        for kind in false_alarms(result):
            row["false_alarms"][kind] = row["false_alarms"].get(kind, 0) + 1
    return rows


def _ratio(hits, total):
    return f"{hits}/{total} = {hits / total:.2f}" if total else "-"


def markdown(results, kinds):
    """The tables as Markdown: confusion (true kind x found kinds), recall per kind, headline
    figures, and per scenario."""
    table = confusion(results)
    found_columns = [k for k in kinds if any(k in row for row in table.values())]
    columns = found_columns + [NOTHING]
    lines = ["| true \\ found | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for truth in [k for k in kinds if k in table] + ([HEALTHY] if HEALTHY in table else []):
        row = table[truth]
        lines.append(f"| {truth} | " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    recall = recall_per_kind(results)
    lines += ["", "| kind | recall |", "|---|---|"]
    lines += [f"| {kind} | {_ratio(*recall[kind]) if kind in recall else '-'} |" for kind in kinds]
    head = summary(results)
    lines += [
        "",
        f"- faulty runs diagnosed (every expected kind found): "
        f"{_ratio(head['diagnosed'], head['faulty_runs'])}",
        f"- healthy runs with any finding: {_ratio(head['healthy_with_finding'], head['healthy_runs'])}",
        f"- faulty runs with a false alarm: {_ratio(head['faulty_with_false_alarm'], head['faulty_runs'])}",
        f"- runs whose fault did not show (not scored): {head['fault_not_shown']} of {head['runs']}; "
        f"runs that failed: {head['failed']}",
        "",
        "| scenario | diagnosed / shown / runs | false alarms (runs) |",
        "|---|---|---|",
    ]
    for name, row in per_scenario(results).items():
        alarms = ", ".join(f"{k} ({n})" for k, n in sorted(row["false_alarms"].items())) or ""
        failed = f", {row['failed']} failed" if row["failed"] else ""
        lines.append(f"| {name} | {row['diagnosed']} / {row['shown']} / {row['runs']}{failed} | {alarms} |")
    return "\n".join(lines)
