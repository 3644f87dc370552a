import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
const [,, fn, ...keys] = process.argv;
const pats = { schedule: /\.timers\.schedule\(/, push: /pusher\.post\(/, conv: /tables\.conversations/, msg: /tables\.messages/, cust: /tables\.customers/, agents: /tables\.agents/, avail: /tables\.availability/, conn: /tables\.connections/, req: /tables\.requests/, mgmt: /ApiGatewayManagement|GetConnection|DeleteConnection/ };
const r = await build({ plugins: [{ name: 'x', setup(b) { b.onResolve({ filter: /lambda-deps/ }, (a) => ({ path: a.path, external: true })); } }], entryPoints: ['functions/' + fn + '.ts'], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent' });
for (const k of keys) console.log(k, Object.keys(r.metafile.inputs).filter((p) => pats[k].test(readFileSync(p, 'utf8'))).join(' '));
