"""Airflow's look for the server-rendered pages (the run tab, which Airflow's UI shows in an
iframe, the message record, and the dashboard's fallback at ``/intakeflow/``).

The dashboard itself is a React app drawn with Airflow's own Chakra UI (``console``); these
pages are plain HTML, so they take Airflow's theme the way an iframe can: the page is served
from Airflow's origin, so a small script reads the parent page's resolved Chakra tokens (font
stack, colours) and its colour mode (the ``light``/``dark`` class Airflow's UI puts on its
``<html>``) and follows changes to it. Opened on their own, the pages use Airflow's colour
mode setting (``localStorage.theme``, as Airflow's UI stores it) or the system's. The
fallback values below are Airflow 3.3's default theme tokens, so the pages look the same when
no token can be read. Only presentation: no figure, link or attribute changes. Times follow
Airflow's timezone setting the same way (``TIMES_SCRIPT``).
"""

from __future__ import annotations

import json

#: page variable -> the Chakra token of Airflow's UI it takes its value from
TOKENS: dict[str, str] = {
    "--if-font": "--chakra-fonts-body",
    "--if-mono": "--chakra-fonts-mono",
    "--if-fg": "--chakra-colors-fg",
    "--if-muted": "--chakra-colors-fg-muted",
    "--if-bg": "--chakra-colors-bg",
    "--if-panel": "--chakra-colors-bg-panel",
    "--if-subtle": "--chakra-colors-bg-muted",
    "--if-border": "--chakra-colors-border",
    "--if-strong": "--chakra-colors-border-emphasized",
    "--if-link": "--chakra-colors-fg-info",
    "--if-warn-bg": "--chakra-colors-warning-subtle",
    "--if-warn-fg": "--chakra-colors-warning-fg",
    "--if-bad-bg": "--chakra-colors-danger-subtle",
    "--if-bad-fg": "--chakra-colors-danger-fg",
    "--if-brand": "--chakra-colors-brand-solid",
    "--if-brand-fg": "--chakra-colors-brand-contrast",
}

_FONT = ('Inter, -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif, '
         '"Apple Color Emoji", "Segoe UI Emoji", "Segoe UI Symbol"')
_MONO = 'SFMono-Regular, Menlo, Monaco, Consolas, "Liberation Mono", "Courier New", monospace'
_LIGHT = ("--if-fg:oklch(0.23 0.032 266);--if-muted:oklch(0.45 0.03 257);--if-bg:#fff;--if-panel:#fff;"
          "--if-subtle:oklch(0.968 0.007 248);--if-border:oklch(0.915 0.01 253);--if-strong:oklch(0.85 0.02 253);"
          "--if-link:oklch(0.49 0.2 263);--if-warn-bg:oklch(0.96 0.06 95);--if-warn-fg:oklch(0.47 0.11 50);"
          "--if-bad-bg:oklch(0.94 0.03 18);--if-bad-fg:oklch(0.5 0.19 27);--if-brand:oklch(0.45 0.07 260);"
          "--if-brand-fg:#fff")
_DARK = ("--if-fg:oklch(0.985 0.004 253);--if-muted:oklch(0.75 0.02 257);--if-bg:oklch(0.11 0.025 251);"
         "--if-panel:oklch(0.11 0.025 251);--if-subtle:oklch(0.2 0.03 255);--if-border:oklch(0.28 0.035 251);"
         "--if-strong:oklch(0.37 0.04 257);--if-link:oklch(0.7 0.14 255);--if-warn-bg:oklch(0.3 0.07 50);"
         "--if-warn-fg:oklch(0.9 0.1 90);--if-bad-bg:oklch(0.3 0.09 25);--if-bad-fg:oklch(0.8 0.1 20);"
         "--if-brand:oklch(0.6 0.08 255);--if-brand-fg:#fff")

CSS = f"""
:root{{--if-font:{_FONT};--if-mono:{_MONO};{_LIGHT};color-scheme:light}}
@media (prefers-color-scheme: dark){{:root:not(.light){{{_DARK};color-scheme:dark}}}}
:root.dark{{{_DARK};color-scheme:dark}}
body{{font-family:var(--if-font);color:var(--if-fg);background:var(--if-bg);font-size:14px;line-height:1.5;
  margin:16px 24px}}
h1{{font-size:24px;font-weight:600;margin:0 0 12px}} h2{{font-size:18px;font-weight:600;margin:24px 0 8px}}
h3{{font-size:15px;font-weight:600}}
a{{color:var(--if-link);text-decoration:none}} a:hover{{text-decoration:underline}}
code{{font-family:var(--if-mono);font-size:.85em;background:var(--if-subtle);padding:1px 4px;border-radius:4px}}
.card{{background:var(--if-panel);border:1px solid var(--if-border);border-radius:6px;padding:10px 16px}}
.card b{{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}}
table{{border:1px solid var(--if-border);border-radius:6px;border-collapse:separate;border-spacing:0;font-size:14px}}
th{{color:var(--if-fg);font-weight:500;background:var(--if-subtle)}}
td,th{{border-bottom:1px solid var(--if-border);padding:6px 12px}}
tbody tr:nth-child(even) td{{background:var(--if-subtle)}}
tfoot td{{border-top:2px solid var(--if-strong)}}
.empty,.note,dl.legend{{color:var(--if-muted)}}
.panel{{background:var(--if-warn-bg);color:var(--if-warn-fg);border:0;border-radius:6px;padding:12px 16px}}
.panel.bad{{background:var(--if-bad-bg);color:var(--if-bad-fg)}}
label{{color:var(--if-muted);gap:4px}}
input,select,button{{font:inherit;font-size:14px;color:var(--if-fg);background:var(--if-bg);
  border:1px solid var(--if-border);border-radius:4px;height:32px;padding:0 10px}}
button{{background:var(--if-brand);color:var(--if-brand-fg);border-color:transparent;font-weight:500;cursor:pointer}}
svg.chart text{{fill:var(--if-muted);font-family:var(--if-font)}}
svg.chart line.grid,svg.chart line.tick{{stroke:var(--if-border)}}
"""

#: copies the tokens and the colour mode from Airflow's page (same origin), and follows it
SCRIPT = """(function(){
var map=__TOKENS__, root=document.documentElement;
function mode(m){root.classList.remove("light","dark");if(m==="light"||m==="dark")root.classList.add(m);}
function follow(host){
  var cs=getComputedStyle(host);
  for(var k in map){var v=cs.getPropertyValue(map[k]).trim();if(v)root.style.setProperty(k,v);}
  mode(host.classList.contains("dark")?"dark":host.classList.contains("light")?"light":"");
}
try{
  var host=window.parent!==window&&window.parent.document.documentElement;
  if(host&&getComputedStyle(host).getPropertyValue("--chakra-colors-fg")){
    follow(host);
    new MutationObserver(function(){follow(host);}).observe(host,{attributes:true,attributeFilter:["class","style"]});
    return;
  }
}catch(e){}
try{mode(localStorage.getItem("theme")||"");}catch(e){}
})();""".replace("__TOKENS__", json.dumps(TOKENS))

#: shows every ``<time datetime>`` in the timezone chosen in Airflow's UI (``localStorage.timezone``,
#: else the browser's), in the form and zone the React console uses (``ui/console/src/format.ts``);
#: the UTC text the server wrote stays as the element's title and is what a page without script
#: shows. ``intakeflowLocalTimes`` is called again by a page's refresh script on what it swapped in.
TIMES_SCRIPT = """(function(){
function zone(){
  var fallback=Intl.DateTimeFormat().resolvedOptions().timeZone;
  try{
    var raw=localStorage.getItem("timezone"),z=raw;
    if(!raw)return fallback;
    try{z=JSON.parse(raw);}catch(e){}
    if(typeof z!=="string")return fallback;
    new Intl.DateTimeFormat("en",{timeZone:z});
    return z;
  }catch(e){return fallback;}
}
function local(root){
  var fmt;
  try{fmt=new Intl.DateTimeFormat("en-US",{timeZone:zone(),year:"numeric",month:"2-digit",day:"2-digit",
    hour:"2-digit",minute:"2-digit",second:"2-digit",hourCycle:"h23",timeZoneName:"short"});}catch(e){return;}
  (root||document).querySelectorAll("time[datetime]").forEach(function(el){
    var d=new Date(el.getAttribute("datetime"));
    if(isNaN(d.getTime()))return;
    if(!el.title)el.title=el.textContent;
    var p={};
    fmt.formatToParts(d).forEach(function(x){p[x.type]=x.value;});
    el.textContent=p.year+"-"+p.month+"-"+p.day+" "+p.hour+":"+p.minute+":"+p.second+" "+p.timeZoneName;
  });
}
window.intakeflowLocalTimes=local;
if(document.readyState==="loading")document.addEventListener("DOMContentLoaded",function(){local(document);});
else local(document);
window.addEventListener("storage",function(e){if(e.key==="timezone")local(document);});
})();"""

#: what a page puts after its own ``<style>``: it overrides the page's colours and fonts
HEAD = f"<style>{CSS}</style><script>{SCRIPT}</script><script>{TIMES_SCRIPT}</script>"
