"""Cost of the compliance matcher on viewers' comments (target: 500 comments/s with room).

Run: .venv/bin/python benchmarks/bench_compliance.py
"""

from __future__ import annotations

import random
import time

from anchordesk.show.compliance import ComplianceMatcher

COMMENTS = [
    "主播这个精华液适合敏感肌吗？多少钱？最近皮肤很干",
    "全网最低价吗？绝对正品吗",
    "is this the best one for dry skin? how much is shipping to Canada",
    "does the kettle work on induction hobs?",
    "この美容液は日本一ですか？送料はいくらですか",
    "666666 冲冲冲",
    "Guaranteed to arrive before Friday? #1 question lol",
]


def main() -> None:
    matcher = ComplianceMatcher(["假货", "代购", "knockoff"])
    rng = random.Random(1)
    texts = [rng.choice(COMMENTS) * rng.randint(1, 3) for _ in range(20_000)]
    hits = 0
    started = time.perf_counter()
    for text in texts:
        hits += len(matcher.find_hits(text))
    elapsed_s = time.perf_counter() - started
    per_comment_us = elapsed_s / len(texts) * 1e6
    print(f"compliance: {len(texts)} comments, {hits} hits, {per_comment_us:.1f} us/comment")
    print(f"  500 comments/s costs {per_comment_us * 500 / 1000:.2f} ms per second of show")
    build_started = time.perf_counter()
    ComplianceMatcher(["word"] * 1 + [f"w{i}" for i in range(50)])
    print(f"  building a matcher: {(time.perf_counter() - build_started) * 1000:.2f} ms")
    # A show at its limits: 2,000 banned words (sharing a first letter) and 20,000-character
    # scripts. Before the terms were factored into a trie this cost 5.4 ms per KB here.
    many = ComplianceMatcher([f"w{i:05d}" + "x" * 90 for i in range(2000)])
    script = "lorem ipsum dolor sit amet, with words " * 500
    started = time.perf_counter()
    for _ in range(20):
        many.find_hits(script)
    per_kb_ms = (time.perf_counter() - started) * 1000 / (20 * len(script) / 1000)
    print(f"  2,000 banned words: {per_kb_ms:.3f} ms per KB of script")


if __name__ == "__main__":
    main()
