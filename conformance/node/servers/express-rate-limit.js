// An express app behind express-rate-limit (default MemoryStore, a fixed window per client that
// opens at the client's first request), for conformance/limiters' TestExpressRateLimit. It listens
// on 127.0.0.1 port 0 and prints "listening PORT" once ready. Settings come from the environment:
// RATELAB_LIMIT (requests per window), RATELAB_WINDOW_MS, RATELAB_HEADERS (draft-6, draft-7 or
// draft-8). It exits when its standard input closes, so it cannot outlive the test.
import express from 'express';
import { rateLimit } from 'express-rate-limit';

const limit = Number(process.env.RATELAB_LIMIT ?? 20);
const windowMs = Number(process.env.RATELAB_WINDOW_MS ?? 10000);
const standardHeaders = process.env.RATELAB_HEADERS ?? 'draft-7';

const app = express();
app.use(rateLimit({ windowMs, limit, standardHeaders, legacyHeaders: false }));
app.get('/', (req, res) => res.json({ ok: true }));

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
