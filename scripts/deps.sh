#!/bin/sh
# scripts/deps.sh -- the link-time dependencies between the library's, the server's and the CLI's
# source files, read with nm from the object files of a build: which file's undefined symbols are
# defined in which other file. Prints the module graph (a module is a file name up to its first '_':
# claims_build.c -> claims, api_records.c -> api) and every cycle: the strongly connected components of
# more than one module, and of more than one layer (the CMake libraries, see docs/architecture.md).
# Usage: scripts/deps.sh [BUILD_DIR] [--edges]     (default build; --edges also lists file -> file)
set -eu
BUILD=${1:-build}
EDGES=${2:-}
# only the objects whose source still exists (a build directory keeps the objects of renamed files)
objs=$(find "$BUILD" -name '*.c.o' | grep -E '/src/(lib|server|cli)/' | sort | while read -r o; do
    src=$(echo "$o" | sed -E 's|.*/(src/[a-z]+/[^/]+\.c)\.o$|\1|')
    [ -f "$src" ] && echo "$o"
done)
[ -n "$objs" ] || { echo "deps.sh: no object files under $BUILD/ (build first)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for o in $objs; do
    f=$(basename "$o" .c.o)
    nm -P --defined-only "$o" | awk -v f="$f" '$2 ~ /^[TDBRVWGS]$/ {print $1, f}' >> "$tmp/def"
    nm -P -u "$o" | awk -v f="$f" '{print f, $1}' >> "$tmp/undef"
done
python3 - "$tmp/def" "$tmp/undef" "$EDGES" <<'PY'
import sys, collections
defs = {}
for line in open(sys.argv[1]):
    sym, f = line.split()
    defs.setdefault(sym, f)
edges = collections.defaultdict(set)      # file -> files it needs
why = collections.defaultdict(set)
for line in open(sys.argv[2]):
    f, sym = line.split()
    g = defs.get(sym)
    if g and g != f:
        edges[f].add(g); why[(f, g)].add(sym)
# layers as the CMake libraries draw them (PSY_LAYER_* in CMakeLists.txt), by module
LAYER_OF_MODULE = {
    'alloc': 'base', 'status': 'base', 'text': 'base', 'date': 'base', 'cents': 'base', 'db': 'base',
    'store': 'base',
    'catalog': 'catalog', 'search': 'catalog',
    'coding': 'coding', 'ncci': 'coding', 'payer': 'coding', 'session': 'coding',
    'records': 'records', 'audit': 'records', 'auth': 'records', 'setup': 'records', 'note': 'records',
    'claims': 'billing', 'billing': 'billing', 'x12': 'billing', 'pdf': 'billing', 'ledger': 'billing',
    'api': 'server', 'srv': 'server', 'cli': 'cli',
}
def module(f):
    return f.split('_')[0]
def layer(f):
    return LAYER_OF_MODULE.get(module(f), '?' + module(f))
def scc(nodes, adj):
    index, low, on, st, out, n = {}, {}, set(), [], [], [0]
    def visit(v):
        index[v] = low[v] = n[0]; n[0] += 1; st.append(v); on.add(v)
        for w in sorted(adj.get(v, ())):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = st.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index: visit(v)
    return out
files = set(edges) | {g for s in edges.values() for g in s}
def collapse(keyf):
    adj = collections.defaultdict(set)
    for f, gs in edges.items():
        for g in gs:
            a, b = keyf(f), keyf(g)
            if a != b: adj[a].add(b)
    return adj
madj = collapse(module)
ladj = collapse(layer)
print('module graph:')
for m in sorted(madj):
    print('  %-10s -> %s' % (m, ' '.join(sorted(madj[m]))))
print('layer graph:')
for m in sorted(ladj):
    print('  %-10s -> %s' % (m, ' '.join(sorted(ladj[m]))))
fc = scc(files, edges)
mc = scc(set(madj) | {b for s in madj.values() for b in s}, madj)
lc = scc(set(ladj) | {b for s in ladj.values() for b in s}, ladj)
def show(title, comps, adj, keyf):
    print('%s: %d' % (title, len(comps)))
    for c in comps:
        print('  {' + ' '.join(c) + '}')
        cs = set(c)
        for a in c:
            for b in sorted(adj.get(a, ())):
                if b in cs:
                    syms = sorted({s for (f, g), ss in why.items() if keyf(f) == a and keyf(g) == b for s in ss})
                    print('     %s -> %s: %s%s' % (a, b, ' '.join(syms[:4]), ' ...' if len(syms) > 4 else ''))
show('file cycles (strongly connected sets of files)', fc, edges, lambda f: f)
show('module cycles', mc, madj, module)
show('layer cycles', lc, ladj, layer)
if sys.argv[3] == '--edges':
    for f in sorted(edges):
        print('%s -> %s' % (f, ' '.join(sorted(edges[f]))))
PY
