"""What `evalkit check` prints and writes: the terminal verdict, GitHub-flavoured Markdown for
``$GITHUB_STEP_SUMMARY``, GitHub workflow annotations and JUnit XML. Each takes the `evalkit.gate.CheckResult`
of a run; only click and the standard library are imported here (``evalkit --help`` stays fast).
"""

# No `from __future__ import annotations` here: it would bind the name of the `annotations` writer below.
import re
from typing import Any

import click

__all__ = ["AGREEMENT_NOTE", "annotations", "human_agreement", "junit_xml", "markdown_summary", "terminal"]


AGREEMENT_NOTE = "how often humans agree with a difference of this size (Kocmi et al., ACL 2024)"


def human_agreement(verdict: Any) -> str:
    """``"humans agree 64%"`` for a BLEU, chrF or COMET difference of a max-drop rule (`evalkit.gate.agreement`)."""
    if verdict.rule.kind not in ("max_drop", "max_cumulative_drop"):
        return ""
    from .agreement import describe

    return describe(verdict.rule.metric, verdict.baseline, verdict.value)


def _clip(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def terminal(result: Any) -> str:
    """The verdict for a terminal: one line per rule (coloured), warnings, the regressed segments."""
    lines = [("PASS" if result.passed else "FAIL") + f": {len(result.verdicts) - len(result.failed)} of {len(result.verdicts)} rules passed"
             f" against {result.baseline}" + ("" if result.tested else " (no --baseline-tgt: no significance test)")]
    for v in result.verdicts:
        mark = click.style("ok  ", fg="green") if v.passed else click.style("FAIL", fg="red", bold=True)
        agree = human_agreement(v)
        lines.append(f"  {mark} {str(v.rule):<24} {v.detail}" + (f" [{agree}]" if agree else ""))
    if any(human_agreement(v) for v in result.verdicts):
        lines.append(f"  humans agree: {AGREEMENT_NOTE}")
    for w in result.warnings:
        lines.append(click.style(f"warning: {w}", fg="yellow"))
    if result.segments:
        title = "Most regressed segments" if result.tested else "Lowest-scoring flagged segments"
        lines.append(f"\n{title} ({result.target}):")
        for s in result.segments:
            score = f"{s.metric} {s.baseline_score:.1f} -> {s.score:.1f}" if s.delta is not None else (
                f"{s.metric} {s.score:.2f}" if s.score is not None else s.metric)
            flags = f"  [{', '.join(s.flags)}]" if s.flags else ""
            lines.append(f"  line {s.line}: {score}{flags}")
            lines.append(f"      {_clip(s.target)}")
    return "\n".join(lines)


def _md(text: str) -> str:
    return _clip(text, 160).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def markdown_summary(result: Any) -> str:
    """GitHub-flavoured Markdown for ``$GITHUB_STEP_SUMMARY``: the verdict, one table row per rule, the segments."""
    head = "✅ evalkit check passed" if result.passed else "❌ evalkit check failed: translation quality regressed"
    out = [f"### {head}", "", f"Baseline `{result.baseline}`, output `{result.target}`"
           + ("" if result.tested else " (no baseline output given: drops not tested for significance)"), "",
           "| rule | result | detail | human agreement¹ |", "|---|---|---|---|"]
    out += [f"| {_md(str(v.rule))} | {'pass' if v.passed else '**FAIL**'} | {_md(v.detail)} | {human_agreement(v).removeprefix('humans agree ') or '–'} |"
            for v in result.verdicts]
    out += ["", "¹ How often humans agree with a metric difference of this size: Kocmi et al., "
            "[Navigating the Metrics Maze](https://aclanthology.org/2024.acl-long.110), ACL 2024."]
    out += [f"\n> ⚠️ {_md(w)}" for w in result.warnings]
    if result.segments:
        out += ["", "| line | score | output |", "|---|---|---|"]
        for s in result.segments:
            score = f"{s.baseline_score:.1f} → {s.score:.1f}" if s.delta is not None else ("" if s.score is None else f"{s.score:.2f}")
            out.append(f"| {s.line} | {s.metric} {score} | {_md(s.target)} |")
    return "\n".join(out) + "\n\n"


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def annotations(result: Any) -> list[str]:
    """GitHub workflow commands: ``::error`` per failed rule, ``::warning`` per warning and, when the check
    fails, per named segment (``file=`` the target file, ``line=`` its line)."""
    out = [f"::error file={_escape(result.baseline, True)},title={_escape('evalkit check: ' + str(v.rule), True)}::{_escape(v.detail)}"
           for v in result.failed]
    out += [f"::warning title=evalkit check::{_escape(w)}" for w in result.warnings]
    if not result.passed:
        for s in result.segments:
            where = f"file={_escape(result.target, True)}" + (f",line={s.line}" if s.line else "")
            what = f"{s.metric} {s.baseline_score:.1f} -> {s.score:.1f}" if s.delta is not None else f"{s.metric} {s.score}"
            flags = f" [{', '.join(s.flags)}]" if s.flags else ""
            out.append(f"::warning {where},title=regressed segment::{_escape(what + flags + ': ' + _clip(s.target, 200))}")
    return out


_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def junit_xml(result: Any) -> str:
    """JUnit XML: one testsuite ``evalkit check``, one testcase per rule, a <failure> for each failed rule."""
    import xml.etree.ElementTree as ET

    def clean(text: str) -> str:
        return _XML_BAD.sub("\ufffd", text)

    suite = ET.Element("testsuite", name="evalkit check", tests=str(len(result.verdicts)), failures=str(len(result.failed)),
                       errors="0", skipped="0")
    for v in result.verdicts:
        case = ET.SubElement(suite, "testcase", classname="evalkit.check", name=clean(str(v.rule)))
        if not v.passed:
            failure = ET.SubElement(case, "failure", message=clean(v.detail), type="regression")
            failure.text = clean("\n".join(
                [v.detail] + [f"line {s.line}: {_clip(s.target, 200)}" for s in result.segments]))
        else:
            ET.SubElement(case, "system-out").text = clean(v.detail)
    root = ET.Element("testsuites", name="evalkit check", tests=suite.get("tests", "0"), failures=suite.get("failures", "0"))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
