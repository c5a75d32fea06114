#!/usr/bin/env python3
"""Rust functions longer than N lines (default 80), longest first: the size rule of issue 11
("no function longer than about 80 lines unless it is a straight list of data").

Usage: scripts/long-fns.py [N] [PATH...]    (default PATH: pki-core app)

A function counts from its `fn` line to its closing brace. Strings, raw strings, char
literals and comments are skipped when matching braces; closures and nested functions count
towards the function they sit in (a nested fn is also listed on its own)."""
import re, sys, pathlib
limit = 80
args = sys.argv[1:]
if args and args[0].isdigit(): limit = int(args.pop(0))
FN = re.compile(r'^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)')
def strip(line, state):
    # remove string/char/comment contents so braces inside them don't count; state tracks block comments / raw strings
    out=[]; i=0; n=len(line)
    while i<n:
        if state['raw'] is not None:
            end='"'+'#'*state['raw']
            j=line.find(end,i)
            if j<0: return ''.join(out)
            i=j+len(end); state['raw']=None; continue
        if state['str']:
            if line[i]=='\\': i+=2; continue
            if line[i]=='"': state['str']=False
            i+=1; continue
        if state['block']:
            j=line.find('*/',i)
            if j<0: return ''.join(out)
            i=j+2; state['block']=False; continue
        c=line[i]
        if line.startswith('//',i): break
        if line.startswith('/*',i): state['block']=True; i+=2; continue
        m=re.match(r'b?r(#*)"',line[i:])
        if m and (i==0 or not (line[i-1].isalnum() or line[i-1]=='_')):
            state['raw']=len(m.group(1)); i+=len(m.group(0)); continue
        if c=='"': state['str']=True; i+=1; continue
        if c=="'":
            m=re.match(r"'(\\.[^']*|[^'\\])'",line[i:])
            if m: i+=len(m.group(0)); continue
        out.append(c); i+=1
    return ''.join(out)
res=[]
for root in args or ['pki-core', 'app']:
    p=pathlib.Path(root)
    files=[p] if p.is_file() else sorted(f for f in p.rglob('*.rs') if 'target' not in f.parts)
    for f in files:
        lines=f.read_text().splitlines()
        state={'raw':None,'str':False,'block':False}
        stack=[]; depth=0; pending=None
        for no,line in enumerate(lines,1):
            code=strip(line,state)
            m=FN.match(code)
            if m: pending=(m.group(6),no)
            for ch in code:
                if ch=='{':
                    depth+=1
                    if pending: stack.append((pending[0],pending[1],depth)); pending=None
                elif ch=='}':
                    if stack and stack[-1][2]==depth:
                        name,start,_=stack.pop(); ln=no-start+1
                        if ln>limit: res.append((ln,f'{f}:{start}',name))
                    depth-=1
                elif ch==';' and pending: pending=None  # trait method declaration
for ln,loc,name in sorted(res,reverse=True): print(f'{ln:5d}  {name:30s} {loc}')
