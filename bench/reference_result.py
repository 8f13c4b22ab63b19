"""The one JSON line a Python reference run prints for bench/reference.ts: its trades, final equity, timing and memory."""
import json
import resource
import statistics
import sys


def emit(library, trades, final_equity, seconds, **extra):
    json.dump({
        'library': library,
        **extra,
        'trades': trades,
        'finalEquity': float(final_equity),
        'seconds': statistics.median(seconds),
        'runs': len(seconds),
        'maxRssKb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }, sys.stdout)
    sys.stdout.write('\n')
