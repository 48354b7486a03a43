"""Reads Lighthouse's JSON reports (scripts/check-lighthouse) and prints each page's four scores;
exits 1 unless accessibility, best practices and SEO are 100 on every page, naming each audit
that cost a point there (its id and title). Performance is printed, never required.
A report with a runtime error (the page did not load), or without one of the categories, fails.

Usage: lighthouse_scores.py NAME|PATH|REPORT.json ..."""
import json
import sys

REQUIRED = ["accessibility", "best-practices", "seo"]
CATEGORIES = ["performance"] + REQUIRED


def score(category):
    """A category's score out of 100, or None when Lighthouse could not score it."""
    value = category.get("score")
    return None if value is None else round(value * 100)


def failing_audits(report, category):
    """The audits that count in `category` and did not pass: (id, title, score)."""
    failing = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref.get("weight", 0) == 0 or audit.get("scoreDisplayMode") in (
            "notApplicable",
            "manual",
            "informative",
        ):
            continue
        if audit.get("score") is None or audit["score"] < 1:
            failing.append((ref["id"], audit["title"], audit.get("score")))
    return failing


def main(entries):
    if not entries:
        sys.exit(__doc__)
    print(f"{'page':<20} {'path':<44} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5}")
    problems = []
    for entry in entries:
        name, path, report_file = entry.split("|", 2)
        with open(report_file, encoding="utf-8") as f:
            report = json.load(f)
        if report.get("runtimeError"):
            problems.append(f"{name} ({path}): {report['runtimeError']}")
        scores = {}
        for category in CATEGORIES:
            found = report.get("categories", {}).get(category)
            scores[category] = None if found is None else score(found)
        shown = ["-" if scores[c] is None else str(scores[c]) for c in CATEGORIES]
        print(f"{name:<20} {path:<44} " + " ".join(f"{s:>5}" for s in shown))
        for category in REQUIRED:
            if scores[category] == 100:
                continue
            problems.append(f"{name} ({path}): {category} is {shown[CATEGORIES.index(category)]}, not 100")
            if category in report.get("categories", {}):
                for audit_id, title, audit_score in failing_audits(report, category):
                    problems.append(f"    {audit_id}: {title} (score {audit_score})")
        for warning in report.get("runWarnings", []):
            print(f"    warning: {warning}")
    if problems:
        print("\nLighthouse found problems:", file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        sys.exit(1)
    print("Accessibility, best practices and SEO are 100 on every page.")


if __name__ == "__main__":
    main(sys.argv[1:])
