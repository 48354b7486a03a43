"""Reads Lighthouse's JSON reports (scripts/check-lighthouse) and prints each page's four scores;
exits 1 unless accessibility, best practices and SEO are 100 on every page, naming each audit
that cost a point there (its id and title). Performance is printed, never required. A report
with a runtime error (the page did not load), or without one of the categories, fails.

A page whose type answers an error status (a missing page's 404) is meant to: Lighthouse marks
it down for that twice, in SEO (`http-status-code`) and in best practices (Chromium logs the
document's own status to the console, `errors-in-console`). For such a page alone, and only when
that is all those audits found (the console's only errors are the page's own status, at its own
URL: a missing icon or any other failed request still counts), the two audits count as passed;
the scores are computed again as Lighthouse computes them, and both figures are printed.

Usage: lighthouse_scores.py NAME|PATH|STATUS|REPORT.json ..."""
import json
import sys

REQUIRED = ["accessibility", "best-practices", "seo"]
CATEGORIES = ["performance"] + REQUIRED
NOT_SCORED = ("notApplicable", "manual", "informative")


def category_score(report, category, passed=()):
    """A category's score out of 100 as Lighthouse computes it (the weighted mean of its audits'
    scores), with the audits in `passed` counted as passed; None if Lighthouse could not score
    one of them."""
    total, weights = 0.0, 0.0
    for ref in report["categories"][category]["auditRefs"]:
        if ref.get("weight", 0) <= 0:
            continue
        score = 1 if ref["id"] in passed else report["audits"][ref["id"]].get("score")
        if score is None:
            return None
        total += score * ref["weight"]
        weights += ref["weight"]
    return round(100 * round(total / weights if weights else 0, 2))


def failing_audits(report, category, passed=()):
    """The audits that count in `category` and did not pass: (id, title, score)."""
    failing = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref.get("weight", 0) == 0 or audit.get("scoreDisplayMode") in NOT_SCORED:
            continue
        if ref["id"] not in passed and (audit.get("score") is None or audit["score"] < 1):
            failing.append((ref["id"], audit["title"], audit.get("score")))
    return failing


def own_status_audits(report, status):
    """The audits that failed only because the page answered `status`, as its type must."""
    if status == 200:
        return set()
    url = report["requestedUrl"]
    own = set()
    http_status = report["audits"].get("http-status-code", {})
    if http_status.get("score") == 0:
        own.add("http-status-code")
    console = report["audits"].get("errors-in-console", {})
    items = console.get("details", {}).get("items", [])
    if items and all(
        item.get("source") == "network"
        and (item.get("sourceLocation") or {}).get("url") == url
        and f"status of {status} " in (item.get("description") or "")
        for item in items
    ):
        own.add("errors-in-console")
    return own


def main(entries):
    if not entries:
        sys.exit(__doc__)
    print(f"{'page':<20} {'path':<44} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5}")
    problems, warnings = [], []
    for entry in entries:
        name, path, status, report_file = entry.split("|", 3)
        with open(report_file, encoding="utf-8") as f:
            report = json.load(f)
        if report.get("runtimeError"):
            problems.append(f"{name} ({path}): {report['runtimeError']}")
        found = report.get("categories", {})
        passed = own_status_audits(report, int(status))
        scores = {c: category_score(report, c) if c in found else None for c in CATEGORIES}
        judged = {c: category_score(report, c, passed) if c in found else None for c in CATEGORIES}
        shown = {c: "-" if scores[c] is None else str(scores[c]) for c in CATEGORIES}
        print(f"{name:<20} {path:<44} " + " ".join(f"{shown[c]:>5}" for c in CATEGORIES))
        for category in REQUIRED:
            if judged[category] != scores[category]:
                ids = {ref["id"] for ref in found[category]["auditRefs"]}
                print(
                    f"    {category}: {judged[category]} but for the page's own {status} status, which"
                    f" it must answer ({', '.join(sorted(passed & ids))}; Lighthouse gives"
                    f" {shown[category]})"
                )
        for category in REQUIRED:
            if judged[category] == 100:
                continue
            problems.append(f"{name} ({path}): {category} is {judged[category]}, not 100")
            if category in found:
                for audit_id, title, audit_score in failing_audits(report, category, passed):
                    problems.append(f"    {audit_id}: {title} (score {audit_score})")
        for warning in report.get("runWarnings", []):
            # An error page's own status is judged above.
            if "(Status code: " not in warning and warning not in warnings:
                warnings.append(warning)
    for warning in warnings:
        print(f"Lighthouse warned: {warning}")
    if problems:
        print("\nLighthouse found problems:", file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        sys.exit(1)
    print("Accessibility, best practices and SEO are 100 on every page.")


if __name__ == "__main__":
    main(sys.argv[1:])
