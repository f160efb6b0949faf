import * as T from 'thai-address-universal';
const m0 = process.memoryUsage().heapUsed;
let t = performance.now();
await T.getProvinceAll(); await T.setGeoMode(true);
const th = T.getDatabase();
await T.setEngMode(true);
const en = T.getDatabase();
await T.setEngMode(false);
console.log('load', (performance.now()-t).toFixed(1), 'ms', th.length, en.length, T.getEngMode(), T.getGeoMode());
console.log(th[0], en[0]);
// province codes
const pc = new Map(); for (const r of th) { const s = pc.get(r.province_code) ?? new Set(); s.add(r.province); pc.set(r.province_code, s); }
console.log('province codes', pc.size, [...pc].filter(([k,v])=>v.size>1||!k));
// district codes per (province, district)
const dk = new Map(); for (const r of th) { const k = r.province+'|'+r.district; const s = dk.get(k) ?? new Set(); s.add(r.district_code); dk.set(k,s);} 
console.log('districts', dk.size, [...dk].filter(([k,v])=>v.size!==1 || [...v][0].length!==4));
// sub codes
const sk = new Map(); for (const r of th) { const k = r.province+'|'+r.district+'|'+r.sub_district; const s = sk.get(k) ?? []; s.push(r.sub_district_code+'/'+r.postal_code); sk.set(k,s);} 
console.log('subdistricts', sk.size);
const multi = [...sk].filter(([k,v])=>v.length>1); console.log('subs with multiple rows', multi.length, multi.slice(0,10));
const scodeCount = new Map(); for (const [k,v] of sk) for (const c of new Set(v.map(x=>x.split('/')[0]))) scodeCount.set(c, [...(scodeCount.get(c)??[]), k]);
const dups = [...scodeCount].filter(([c,ks])=>ks.length>1 || c.length!==6); console.log('sub code dups/bad', dups.length, dups.slice(0,15));
const badProvPrefix = th.filter(r=>r.sub_district_code && r.sub_district_code.slice(0,2)!==r.province_code); console.log('sub code wrong province prefix', badProvPrefix.length, badProvPrefix.slice(0,3));
const noPost = th.filter(r=>!r.postal_code); console.log('no postcode', noPost.length, noPost.slice(0,3));
const dupDistNames = new Map(); for (const k of dk.keys()) { const d=k.split('|')[1]; dupDistNames.set(d,(dupDistNames.get(d)??0)+1);} console.log('district names in >1 province', [...dupDistNames].filter(([k,v])=>v>1));
const enNames = en.map(r=>r.province); console.log([...new Set(enNames)].join(', '));
console.log('heap MB', ((process.memoryUsage().heapUsed-m0)/1e6).toFixed(1));
