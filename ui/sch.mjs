import { buildClientSchema, printType } from 'graphql';
import zlib from 'node:zlib'; import fs from 'node:fs';
const j = JSON.parse(zlib.gunzipSync(fs.readFileSync('/work/main/target/shopify-admin-schema/admin_2026-10.json.gz')));
const s = buildClientSchema(j.data);
for (const n of process.argv.slice(2)) {
  if (n.includes('.')) { const [t,f]=n.split('.'); const fl=s.getType(t).getFields()[f]; console.log(t+'.'+f+'('+fl.args.map(a=>a.name+':'+a.type).join(', ')+'): '+fl.type); }
  else console.log(printType(s.getType(n)).split('\n').filter(l=>!l.trim().startsWith('"')).join('\n'));
}
