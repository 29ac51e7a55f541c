"""Medians and per-round ratios of bench/sidebyside/run.sh's output directory.

    python3 bench/sidebyside/summarize.py DIR
"""
import re, statistics as st, sys
d=sys.argv[1]
med=st.median
def rows(f):
    out=[]
    for l in open(f):
        m=dict(re.findall(r'(\w+)=\[([^\]]*)\]', l)); load=re.search(r'load=([\d.]+)',l).group(1)
        out.append(({k:list(map(float,v.split())) for k,v in m.items()}, float(load)))
    return out
P=rows(f'{d}/probe.txt'); M=rows(f'{d}/mock.txt'); S=rows(f'{d}/sim.txt'); R=rows(f'{d}/report.txt')
loads=[l for _,l in P+M+S+R]
print(f'rounds: probe {len(P)}, mock {len(M)}, sim {len(S)}, report {len(R)}; load average {min(loads):.1f}-{max(loads):.1f}')
def line(name, vals): print(f'{name}: median {med(vals):.3f} (rounds: {", ".join(f"{v:.2f}" for v in vals)})')
# (label, rows, numerator, denominator, field): per-round ratios, medians quoted
RATIOS = [
    ('probe before / vegeta (answered/s)', P, 'before', 'vegeta', 0),
    ('probe after / vegeta (answered/s)', P, 'after', 'vegeta', 0),
    ('probe after / before (answered/s)', P, 'after', 'before', 0),
    ('probe CPU per answered, after / before', P, 'after', 'before', 1),
    ('mock before / bare (req/s)', M, 'before', 'bare', 0),
    ('mock after / bare (req/s)', M, 'after', 'bare', 0),
    ('mock after / before (req/s)', M, 'after', 'before', 0),
    ('mock CPU per request, after / before', M, 'after', 'before', 1),
    ('sim wall after / before', S, 'after', 'before', 0),
    ('sim user CPU after / before', S, 'after', 'before', 1),
    ('report wall after / before', R, 'after', 'before', 0),
    ('report CPU after / before', R, 'after', 'before', 1),
    ('report RSS after / before', R, 'after', 'before', 2),
]
# (label, rows, field, names): medians of the raw figures
MEDIANS = [
    ('probe answered/s', P, 0, ('vegeta', 'before', 'after')),
    ('probe CPU ms per 1k answered', P, 1, ('vegeta', 'before', 'after')),
    ('mock req/s', M, 0, ('bare', 'before', 'after')),
    ('mock server CPU µs/req', M, 1, ('bare', 'before', 'after')),
    ('sim wall s', S, 0, ('before', 'after')),
    ('sim user CPU s', S, 1, ('before', 'after')),
    ('report wall s', R, 0, ('before', 'after')),
    ('report CPU s', R, 1, ('before', 'after')),
    ('report peak RSS MB', R, 2, ('before', 'after')),
]
for label, rs, field, names in MEDIANS:
    print(f'{label} medians: ' + ', '.join(f'{n} {med([r[n][field] for r, _ in rs]):.2f}' for n in names))
for label, rs, a, b, field in RATIOS:
    line(label, [r[a][field] / r[b][field] for r, _ in rs])
