const { Level: ClassicLevel } = require('level');
const { Packr } = require('msgpackr');
const p = new Packr({ useRecords: false });
(async () => {
  const [dir, lo, hi] = [process.argv[2], +process.argv[3], +process.argv[4]];
  const db = new ClassicLevel(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  const log = db.sublevel('log', { keyEncoding: 'view', valueEncoding: 'view' });
  const meta = db.sublevel('meta', { keyEncoding: 'view', valueEncoding: 'view' });
  for await (const [k, v] of meta.iterator()) console.log('meta', Buffer.from(k).toString(), JSON.stringify(p.unpack(Buffer.from(v))));
  let first = null, last = null;
  for await (const [k, v] of log.iterator()) {
    const b = Buffer.from(k); const idx = b.readUInt32BE(0) * 2 ** 32 + b.readUInt32BE(4);
    if (first === null) first = idx; last = idx;
    if (idx >= lo && idx <= hi) {
      const [i, t, ty, data] = p.unpack(Buffer.from(v));
      let cmd = null; try { cmd = data && data.length ? p.unpack(Buffer.from(data)) : null; } catch (e) { cmd = 'undecodable'; }
      console.log(i, t, ty, JSON.stringify(cmd, (k, v) => (v && v.type === 'Buffer') ? '<buf>' : v));
    }
  }
  console.log('range', first, last);
  await db.close();
})();
