"""JUnit XML for CI systems: one testcase per suite x adapter x measure of a comparison.

CI servers (GitHub, GitLab, Jenkins) render JUnit natively, so a regression shows up as a
failed test named after the measure, with the numbers in its message.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from rankbench.harness.store import atomic_write_bytes
from rankbench.reports import fmt
from rankbench.reports.compare import FAILED, UNTESTED, Comparison, Row


def _detail(row: Row) -> str:
    return (
        f"base {fmt.num(row.base)} head {fmt.num(row.head)} delta {fmt.signed(row.delta)} "
        f"CI {fmt.interval(row.ci_low, row.ci_high)} p(Holm) {fmt.pval(row.p_holm)} n={row.n}: {row.verdict}"
        + (f" ({row.note})" if row.note else "")
    )


def comparison_junit(cmp: Comparison) -> str:
    root = ET.Element("testsuites", name="rankbench compare")
    vacuous = cmp.vacuous() and not cmp.failures() and not (cmp.damaged and not cmp.settings.allow_untested)
    warning = {id(r): line for rows, line in cmp.floor_groups() for r in rows}
    for suite in cmp.suites():
        rows = [r for r in cmp.rows if r.suite == suite]
        failures = sum(r.fails(cmp.settings) for r in rows)
        skipped = sum((r.verdict == UNTESTED or id(r) in warning) and not r.fails(cmp.settings) for r in rows)
        ts = ET.SubElement(
            root, "testsuite", name=suite, tests=str(len(rows)), failures=str(failures), skipped=str(skipped)
        )
        if vacuous:
            props = ET.SubElement(ts, "properties")
            ET.SubElement(props, "property", name="gate", value=f"passed vacuously: {cmp.vacuous_reason()}")
        for r in rows:
            case = ET.SubElement(ts, "testcase", classname=suite, name=f"{r.adapter} {r.measure}")
            if r.fails(cmp.settings):
                kind = {FAILED: "cell failed", UNTESTED: "not tested"}.get(r.verdict, "significant regression")
                ET.SubElement(case, "failure", message=f"{r.measure}: {kind}", type=r.verdict).text = _detail(r)
            elif r.verdict == UNTESTED:
                ET.SubElement(case, "skipped", message=r.note or UNTESTED)
            elif id(r) in warning:
                ET.SubElement(case, "skipped", message=f"{r.verdict}: {warning[id(r)]}").text = _detail(r)
            else:
                ET.SubElement(case, "system-out").text = _detail(r)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(cmp: Comparison, path: Path) -> Path:
    atomic_write_bytes(path, comparison_junit(cmp).encode("utf-8"))
    return path
