import { PGlite } from '@electric-sql/pglite';
let t=Date.now(); const a = await PGlite.create(); console.log('init', Date.now()-t);
t=Date.now(); const dump = await a.dumpDataDir('none'); console.log('dump', Date.now()-t, dump.size);
t=Date.now(); const b = await Promise.all([1,2,3,4].map(()=>PGlite.create({loadDataDir: dump}))); console.log('4x load mem', Date.now()-t);
t=Date.now(); const c = await PGlite.create({dataDir: '/tmp/pgl-'+Date.now(), loadDataDir: dump}); console.log('load dir', Date.now()-t);
console.log((await b[1].query('select 1 as x')).rows);
