"""Evidence for PyTorch's CPU adaptive_avg_pool{1,2,3}d arithmetic (torch 2.13, 1 thread):
compares torch's bits with numpy emulations on values spread over many binades.
Rules: "seq" = float (double for float64) sum in scan order from +0, then sum / kd / kh / kw;
"once" = sum / (kd*kh*kw); "dbl" = float64 sum, one division. Findings: contiguous inputs
match "seq" for every dtype and rank except 3D float16/bfloat16 (see the second part:
sums and quotients rounded to the element type at every step) and output size 1 on
every axis (torch calls mean()); channels_last splits: vectorised channels "once",
remainder channels "seq". Run: python3 scripts/probe_torch_adaptive_avg.py"""
import itertools

import numpy as np
import torch

torch.set_num_threads(1)
rng = np.random.default_rng(1)
F = torch.nn.functional
def adv(shape):
    x = rng.standard_normal(shape) * np.exp2(rng.integers(-12, 12, size=shape))
    return x
def bins(L, n):
    return [(o*L//n, -(-(o+1)*L//n)) for o in range(n)]
def emul(x, out, acc, rule):
    # x: N,C,*sp numpy in storage dtype, returns in acc dtype
    sp = x.shape[2:]; r = len(sp)
    res = np.zeros(x.shape[:2] + tuple(out), dtype=acc)
    B = [bins(sp[i], out[i]) for i in range(r)]
    for o in itertools.product(*[range(k) for k in out]):
        rngs = [B[i][o[i]] for i in range(r)]
        sub = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in rngs)].astype(acc)
        sub = sub.reshape(sub.shape[:2] + (-1,))
        s = np.zeros(sub.shape[:2], dtype=acc)
        for t in range(sub.shape[2]): s = (s + sub[:, :, t]).astype(acc)
        ks = [b - a for a, b in rngs]
        if rule == 'seq':
            for k in ks: s = (s / acc(k)).astype(acc)
        elif rule == 'once':
            s = (s / acc(np.prod(ks))).astype(acc)
        res[(slice(None), slice(None)) + o] = s
    return res
dts = {'float32': (torch.float32, np.float32), 'float64': (torch.float64, np.float64),
       'float16': (torch.float16, np.float32), 'bfloat16': (torch.bfloat16, np.float32)}
fn = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
cases = [((2,5,13,), (6,)), ((2,5,13,13),(6,6)), ((2,3,7,11),(3,5)), ((2,3,5,6,7),(2,3,4)), ((2,3,9,9),(9,9)),
         ((2,3,5,7),(8,11)), ((2,3,13,13),(1,1)), ((2,3,13,13),(1,2)), ((2,3,40,40),(1,1)), ((2,3,6,7,5),(1,1,1)), ((2,5,300),(1,)), ((2,3,40,40),(3,2)),
         ((1,37,13,13),(6,6)), ((1,37,40,40),(1,1))]
for shape, out in cases:
    r = len(out)
    for name, (tdt, acc) in dts.items():
        xs = adv(shape)
        t = torch.from_numpy(xs).to(tdt)
        xn = t.float().numpy() if tdt in (torch.float16, torch.bfloat16) else t.numpy()
        layouts = [('contig', t)]
        if r == 2: layouts.append(('cl', t.contiguous(memory_format=torch.channels_last)))
        if r == 3: layouts.append(('cl', t.contiguous(memory_format=torch.channels_last_3d)))
        for lname, tin in layouts:
            y = fn[r](tin, out).contiguous()
            yb = y.float().numpy() if tdt in (torch.float16, torch.bfloat16) else y.numpy()
            hits = []
            for rule in ('seq', 'once'):
                e = emul(xn, out, acc, rule)
                e = torch.from_numpy(e).to(tdt)
                e = e.float().numpy() if tdt in (torch.float16, torch.bfloat16) else e.numpy()
                if np.array_equal(e.view(np.uint32 if e.dtype==np.float32 else np.uint64), yb.view(np.uint32 if yb.dtype==np.float32 else np.uint64)): hits.append(rule)
                else: hits.append(rule+':%d' % int((e != yb).sum()))
            ed = emul(xn.astype(np.float64), out, np.float64, 'once'); ed = torch.from_numpy(ed).to(tdt)
            ed = ed.float().numpy() if tdt in (torch.float16, torch.bfloat16) else ed.numpy()
            hits.append('dbl' if np.array_equal(ed, yb) else 'dbl:%d' % int((ed != yb).sum()))
            print(shape, out, name, lname, hits, 'of', yb.size)

# ---- 3D float16 / bfloat16: accumulation in the element type ----
rng = np.random.default_rng(2)
def bins(L, n): return [(o*L//n, -(-(o+1)*L//n)) for o in range(n)]
def emul3(t, out, acc, rule):
    sp = t.shape[2:]; r = len(sp)
    res = torch.zeros(t.shape[:2] + tuple(out), dtype=t.dtype)
    B = [bins(sp[i], out[i]) for i in range(r)]
    for o in itertools.product(*[range(k) for k in out]):
        rngs = [B[i][o[i]] for i in range(r)]
        sub = t[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in rngs)].to(acc).reshape(t.shape[0], t.shape[1], -1)
        s = torch.zeros(t.shape[:2], dtype=acc)
        for k in range(sub.shape[2]): s = s + sub[:, :, k]
        ks = [b - a for a, b in rngs]
        if rule == 'seq':
            for k in ks: s = s / torch.tensor(k, dtype=acc)
        else: s = s / torch.tensor(float(np.prod(ks)), dtype=acc)
        res[(slice(None), slice(None)) + o] = s.to(t.dtype)
    return res
for shape, out in [((2,3,5,6,7),(2,3,4)), ((2,19,5,6,7),(2,3,4)), ((2,3,4,4,4),(4,4,4)), ((2,3,9,9,9),(4,3,2))]:
  for dt in (torch.float16, torch.bfloat16, torch.float32):
    x = torch.from_numpy(rng.standard_normal(shape) * np.exp2(rng.integers(-6, 6, size=shape))).to(dt)
    for lname, xin in (('contig', x), ('cl', x.contiguous(memory_format=torch.channels_last_3d))):
        y = torch.nn.functional.adaptive_avg_pool3d(xin, out).contiguous()
        r = []
        for acc in (torch.float32, dt):
            for rule in ('seq', 'once'):
                e = emul3(x, out, acc, rule)
                r.append('%s/%s:%d' % (str(acc)[6:], rule, int((e.view(torch.int16 if dt != torch.float32 else torch.int32) != y.view(torch.int16 if dt != torch.float32 else torch.int32)).sum())))
        print(shape, out, dt, lname, r, y.numel())
