"""Generates the demo data set: financial-news-style headlines with sentiment labels.

The headlines are synthetic: written from templates by this script (fixed seed), not
taken from any news source; the companies are invented. Labels are the template's
label ("rather positive", "neutral", "rather negative"). Some templates are deliberate
traps for keyword heuristics ("recovers from early losses", "despite record sales"), so
lookup lists are useful but imperfect, as with real news.

Run `python -m stores.labeling.demo.generate_headlines` to rewrite
financial_headlines.jsonl and lookup_lists.json next to this file.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
POSITIVE, NEUTRAL, NEGATIVE = "rather positive", "neutral", "rather negative"

COMPANIES = ["Acme Robotics", "Borealis Energy", "Cobalt Pharma", "Dunmore Bank", "Everlight Solar",
             "Fjord Logistics", "Granite Foods", "Halcyon Air", "Ionic Semiconductors", "Juniper Retail",
             "Kestrel Mining", "Lumen Telecom", "Meridian Insurance", "Northwind Motors", "Orchid Biotech",
             "Pinnacle Steel", "Quartz Software", "Redwood Health", "Sable Shipping", "Tidewater Chemicals"]
PRODUCTS = ["its flagship chip", "electric trucks", "cloud services", "a diabetes drug", "solar panels",
            "home loans", "frozen meals", "its new jet", "5G equipment", "battery packs"]
CITIES = ["Austin", "Dublin", "Singapore", "Toronto", "Frankfurt", "Denver"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
QUARTERS = ["first-quarter", "second-quarter", "third-quarter", "fourth-quarter"]

TEMPLATES = {
    POSITIVE: [
        "{co} shares jump after {q} profit beats estimates",
        "{co} beats {q} earnings expectations on strong demand for {p}",
        "{co} raises full-year guidance as sales of {p} grow",
        "{co} wins ${n} million contract to supply {p}",
        "Analysts upgrade {co} to buy, citing margin gains",
        "{co} posts record revenue in the {q} period",
        "{co} stock soars to all-time high",
        "{co} surges {pct}% after regulators approve {p}",
        "{co} lifts dividend by {pct}% after a strong year",
        "{co} rallies as orders for {p} double",
        "{co} recovers from early losses to close {pct}% higher",
        "{co} expands into {city}, adding {jobs} jobs",
        "Investors cheer {co} buyback of ${n} million",
        "{co} profit climbs {pct}% on lower costs",
        "{co} secures funding to double output of {p}",
    ],
    NEUTRAL: [
        "{co} to report {q} results on {day}",
        "{co} appoints new chief financial officer",
        "{co} moves headquarters to {city}",
        "{co} shares unchanged ahead of central bank decision",
        "{co} schedules investor day for {day}",
        "{co} files annual report with regulators",
        "{co} names {city} executive to its board",
        "{co} holds annual shareholder meeting in {city}",
        "{co} confirms talks with suppliers of {p}",
        "{co} completes previously announced bond offering",
        "{co} publishes sustainability report",
        "{co} keeps outlook for {p} steady",
        "{co} trading volume in line with average",
        "{co} rebrands its line of {p}",
        "What to watch as {co} reports on {day}",
    ],
    NEGATIVE: [
        "{co} shares slump after {q} loss widens",
        "{co} misses {q} revenue forecast",
        "{co} cuts full-year guidance on weak demand for {p}",
        "{co} announces {jobs} layoffs amid restructuring",
        "Regulators fine {co} ${n} million over reporting failures",
        "{co} recalls {p} after safety complaints",
        "Analysts downgrade {co} to sell on falling margins",
        "{co} warns of weaker demand for {p}",
        "{co} plunges {pct}% after trial of {p} fails",
        "{co} faces lawsuit over {p}",
        "{co} shares fall despite record sales of {p}",
        "{co} suspends dividend as losses mount",
        "{co} loses key customer in {city}",
        "Credit agency cuts {co} rating to junk",
        "{co} profit drops {pct}% on higher costs",
    ],
}

LOOKUP_LISTS = {
    "positive-terms": ["jump", "beats", "raises", "wins", "upgrade", "record", "soars", "all-time high", "surges",
                       "rallies", "cheer", "climbs", "higher"],
    "neutral-terms": ["to report", "appoints", "schedules", "files", "unchanged", "annual shareholder meeting",
                      "rebrands", "publishes", "in line with"],
    "negative-terms": ["slump", "misses", "cuts", "layoffs", "fine", "recalls", "downgrade", "warns", "plunges",
                       "lawsuit", "losses", "fails", "drops", "junk"],
}


def generate(per_label: int = 120, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    records, seen = [], set()
    for label, templates in TEMPLATES.items():
        made = 0
        while made < per_label:
            headline = rng.choice(templates).format(
                co=rng.choice(COMPANIES), p=rng.choice(PRODUCTS), city=rng.choice(CITIES), day=rng.choice(DAYS),
                q=rng.choice(QUARTERS), n=rng.randrange(20, 900, 10), pct=rng.randrange(2, 40),
                jobs=rng.randrange(100, 5000, 100))
            if headline in seen:
                continue
            seen.add(headline)
            records.append({"headline": headline, "label": label})
            made += 1
    rng.shuffle(records)
    for i, record in enumerate(records, 1):
        record["id"] = f"fh-{i:04d}"
    return [{"id": r["id"], "headline": r["headline"], "label": r["label"]} for r in records]


def main() -> None:
    records = generate()
    with open(HERE / "financial_headlines.jsonl", "w") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    (HERE / "lookup_lists.json").write_text(json.dumps(LOOKUP_LISTS, indent=2) + "\n")
    print(f"wrote {len(records)} headlines and {len(LOOKUP_LISTS)} lookup lists to {HERE}")


if __name__ == "__main__":
    main()
