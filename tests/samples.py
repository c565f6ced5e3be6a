"""Small texts shared by several test modules (importable because tests/conftest.py's folder is on sys.path)."""

INTERVALS_CODE = '''
def merge_intervals(intervals):
    """Merge overlapping intervals."""
    ordered = sorted(intervals, key=lambda pair: pair[0])
    merged = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def total_length(intervals):
    return sum(end - start for start, end in merge_intervals(intervals))
'''
