"""Scores a list of run results: confusion table, recall per kind, false alarms, lead precision.

A result is a dict with `scenario`, `expected`, `acceptable`, `found`, `fault_shown`, `error`
and, from newer runs, `findings` (every finding in order, the first leads) and `heldout` (see
`harness.Result`). Runs whose fault did not show (`fault_shown` False) and runs that failed
(`error`) are counted apart: they are not detector misses. The figures that need the order of
the findings (lead precision, findings per run, findings outside the expected and explained set)
count only results that carry `findings`. Held-out families are scored in a block of their own.

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


def outside_expected(result):
    """The findings of a run outside its expected and explained set: that set holds the findings
    of an expected kind, the cause an expected finding names (`explained_by`, the same rule as
    `lead_is_right`), and every finding explained by one of these, up the chain. The acceptable
    kinds do not excuse a finding here: one cause, one finding."""
    findings = list(result.get("findings", ()))
    inside = {index for index, f in enumerate(findings) if f["kind"] in result["expected"]}
    grown = True
    while grown:
        kinds = {findings[index]["kind"] for index in inside}
        named = {cause for index in inside for cause in _causes(findings[index])}
        more = {index for index, f in enumerate(findings)
                if f["kind"] in named or any(cause in kinds for cause in _causes(f))}
        grown = not more <= inside
        inside |= more
    return [f for index, f in enumerate(findings) if index not in inside]


def _causes(finding):
    causes = finding.get("explained_by")
    return [causes] if isinstance(causes, str) else list(causes or ())


def lead_is_right(result):
    """A faulty run's first finding is the true cause: of an expected kind, or the cause that an
    expected finding names, up the chain (`explained_by`: a learning rate above its optimizer's
    stable range leading the runaway that made the loss overflow)."""
    findings = result.get("findings") or []
    if not findings:
        return False
    lead = findings[0]["kind"]
    return lead in result["expected"] or any(
        lead in _root_causes(f, findings) for f in findings[1:] if f["kind"] in result["expected"])


def _root_causes(finding, findings, seen=None):
    """The kinds that `finding` names as its cause, and theirs, up the chain."""
    seen = set() if seen is None else seen
    for cause in _causes(finding):
        if cause not in seen:
            seen.add(cause)
            for other in findings:
                if other["kind"] == cause:
                    _root_causes(other, findings, seen)
    return seen


def _ordered(results):
    """The results that carry their findings in order (older saved runs do not)."""
    return [r for r in results if "findings" in r]


def lead_precision(results):
    """`(faulty runs whose first finding is of an expected kind, faulty runs)` over scored
    results that carry `findings`."""
    faulty = [r for r in _ordered(scored(results)) if r["expected"]]
    return sum(lead_is_right(r) for r in faulty), len(faulty)


def findings_per_faulty_run(results):
    """Mean number of findings (every finding, not kinds) per scored faulty run that carries
    `findings`; None when there is none."""
    faulty = [r for r in _ordered(scored(results)) if r["expected"]]
    return sum(len(r["findings"]) for r in faulty) / len(faulty) if faulty else None


def faulty_with_outside(results):
    """`(faulty runs with a finding outside their expected and explained set, faulty runs)` over
    scored results that carry `findings`."""
    faulty = [r for r in _ordered(scored(results)) if r["expected"]]
    return sum(bool(outside_expected(r)) for r in faulty), len(faulty)


def split_heldout(results):
    """`(tuned-on results, held-out results)`."""
    return [r for r in results if not r.get("heldout")], [r for r in results if r.get("heldout")]


def fix_named(results, expected_fix):
    """`(named, counted)`: of the scored faulty runs with an entry in `expected_fix`
    (`{scenario: actions, any of which is the author's fix}`), those whose first finding's first
    two remedies include one of those actions. A run with no finding counts, as not named; a run
    saved before findings kept their remedies is left out."""
    counted = [r for r in _ordered(scored(results)) if r["expected"] and r["scenario"] in expected_fix
               and (not r["findings"] or "remedies" in r["findings"][0])]
    named = sum(bool(set(r["findings"][0]["remedies"]) & set(expected_fix[r["scenario"]]))
                for r in counted if r["findings"])
    return named, len(counted)


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
    lead precision, findings per faulty run, faulty runs with a finding outside their expected
    and explained set, runs whose fault did not show, failed runs."""
    counted = scored(results)
    faulty = [r for r in counted if r["expected"]]
    healthy = [r for r in counted if not r["expected"]]
    lead_right, ordered_faulty = lead_precision(results)
    return {
        "lead_right": lead_right,
        "ordered_faulty_runs": ordered_faulty,
        "findings_per_faulty_run": findings_per_faulty_run(results),
        "faulty_with_outside": faulty_with_outside(results)[0],
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
    """`{scenario: {"runs", "shown", "diagnosed", "ordered", "lead_right", "findings", "outside",
    "false_alarms": {kind: runs}, "failed"}}` ("diagnosed" for a healthy scenario: runs with no
    finding; "ordered": shown runs that carry `findings`, over which "lead_right" counts the runs
    led by an expected kind, "findings" the findings and "outside" the runs with a finding
    outside the expected and explained set)."""
    rows = {}
    for result in results:
        row = rows.setdefault(result["scenario"], {"runs": 0, "shown": 0, "diagnosed": 0,
                                                    "ordered": 0, "lead_right": 0, "findings": 0,
                                                    "outside": 0,
                                                    "false_alarms": {}, "failed": 0})
        row["runs"] += 1
        if result["error"] is not None:
            row["failed"] += 1
            continue
        if not result["fault_shown"]:
            continue
        row["shown"] += 1
        row["diagnosed"] += _diagnosed(result)
        if "findings" in result:
            row["ordered"] += 1
            row["lead_right"] += lead_is_right(result)
            row["findings"] += len(result["findings"])
            row["outside"] += bool(result["expected"]) and bool(outside_expected(result))
        for kind in false_alarms(result):
            row["false_alarms"][kind] = row["false_alarms"].get(kind, 0) + 1
    return rows


def _ratio(hits, total):
    return f"{hits}/{total} = {hits / total:.2f}" if total else "-"


def _mean(value):
    return "-" if value is None else f"{value:.2f}"


def markdown(results, kinds, expected_fix=None):
    """The tables as Markdown: confusion (true kind x found kinds), recall per kind, headline
    figures (with "fix named" where `expected_fix` is given: see `fix_named`), and per scenario;
    the held-out families in a block of their own after the rest."""
    tuned, heldout = split_heldout(results)
    if not heldout:
        return _block(results, kinds, expected_fix)
    blocks = [("Tuned-on families", tuned), ("Held-out families (never tuned on)", heldout)]
    return "\n\n".join(f"### {title}\n\n{_block(part, kinds, expected_fix)}" for title, part in blocks if part)


def _block(results, kinds, expected_fix=None):
    """One block of tables (see `markdown`)."""
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
        f"- lead precision (first finding of an expected kind): "
        f"{_ratio(head['lead_right'], head['ordered_faulty_runs'])}",
        f"- findings per faulty run: {_mean(head['findings_per_faulty_run'])}",
        *([f"- fix named (the author's fix among the first two remedies of the first finding): "
           f"{_ratio(*fix_named(results, expected_fix))}"] if expected_fix is not None else []),
        f"- faulty runs with a finding outside their expected and explained set: "
        f"{_ratio(head['faulty_with_outside'], head['ordered_faulty_runs'])}",
        f"- runs whose fault did not show (not scored): {head['fault_not_shown']} of {head['runs']}; "
        f"runs that failed: {head['failed']}",
        "",
        "| scenario | diagnosed / shown / runs | lead right | findings per run | outside expected "
        "(runs) | false alarms (runs) |",
        "|---|---|---|---|---|---|",
    ]
    faulty = {r["scenario"] for r in results if r["expected"]}
    for name, row in per_scenario(results).items():
        alarms = ", ".join(f"{k} ({n})" for k, n in sorted(row["false_alarms"].items())) or ""
        failed = f", {row['failed']} failed" if row["failed"] else ""
        judged = name in faulty and row["ordered"]
        lead = f"{row['lead_right']}/{row['ordered']}" if judged else "-"
        per_run = _mean(row["findings"] / row["ordered"] if row["ordered"] else None)
        outside = str(row["outside"]) if judged else "-"
        lines.append(f"| {name} | {row['diagnosed']} / {row['shown']} / {row['runs']}{failed} | {lead} | "
                     f"{per_run} | {outside} | {alarms} |")
    return "\n".join(lines)
