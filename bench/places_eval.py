"""Precision and recall of the place matcher on the team's labelled sentences (issue 12).

    python bench/places_eval.py [--cities ../shared/data/cities/cities_southeast.csv]

Reads ``tests/data/places_labelled.txt`` (210 sentences written by the team, 110 of them traps:
names inside other words, streets, institutions, people, county names that are ordinary words)
and prints, for Tandem's matcher as it is and for plain character matching (no word boundaries,
no context rules, no counties, which is how the matcher worked before), true positives, false
positives, false negatives, precision and recall, with every error listed. A mention counts as
correct when its prefecture equals that of a gold label of the sentence not yet matched (常州市区 may be
read as 常州/市区 or 常州市/区: either names 常州; the surface in the labels only documents it); an ambiguous
mention (several prefectures) is not stored by the importer, so it counts as no prediction.
"""
from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LABELLED = ROOT / "tests" / "data" / "places_labelled.txt"


def read_labelled(path: Path = LABELLED) -> list[tuple[str, str, Counter]]:
    """``(kind, sentence, gold)`` per line; gold counts ``(surface, prefecture adcode)``."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, sentence, gold = line.split("|")
        pairs = Counter()
        for item in filter(None, gold.split(",")):
            surface, code = item.split("@")
            pairs[(surface, code + "00")] += 1
        out.append((kind, sentence, pairs))
    return out


def evaluate(matcher, rows) -> dict:
    """Counts, precision and recall of ``matcher`` on ``rows`` (``read_labelled``), with the errors."""
    tp = fp = fn = 0
    errors = []
    for kind, sentence, gold in rows:
        found = Counter(m.codes[0] for m in matcher.find(sentence) if not m.ambiguous)
        gold = Counter(code for (_, code), n in gold.items() for _ in range(n))
        hit = found & gold
        tp += sum(hit.values())
        extra, missed = found - gold, gold - found
        fp += sum(extra.values())
        fn += sum(missed.values())
        if extra or missed:
            errors.append({"kind": kind, "sentence": sentence, "false": sorted(extra), "missed": sorted(missed)})
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "errors": errors}


def city_rows(path: Path) -> list[tuple]:
    with open(path, encoding="utf-8") as fh:
        return [(r["adcode"], r["name_zh"], r["name_short_zh"], r["name_pinyin"]) for r in csv.DictReader(fh)]


def main() -> None:
    from corpus.places import PlaceMatcher

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", default=str(ROOT.parent / "shared" / "data" / "cities" / "cities_southeast.csv"))
    args = ap.parse_args()
    rows = read_labelled()
    cities = city_rows(Path(args.cities))
    print(f"{len(rows)} sentences, {sum(k == 'trap' for k, _, _ in rows)} traps, "
          f"{sum(sum(g.values()) for _, _, g in rows)} gold mentions")
    for label, matcher in (("Tandem (boundaries + rules + counties)", PlaceMatcher.from_rows(cities)),
                           ("characters only (before)", PlaceMatcher.from_rows(cities, counties=False, rules=(),
                                                                               boundaries=False))):
        r = evaluate(matcher, rows)
        print(f"\n{label}: TP {r['tp']}, FP {r['fp']}, FN {r['fn']}, "
              f"precision {r['precision']:.3f}, recall {r['recall']:.3f}")
        for e in r["errors"]:
            print(f"  [{e['kind']}] {e['sentence']}  false={e['false']} missed={e['missed']}")


if __name__ == "__main__":
    main()
