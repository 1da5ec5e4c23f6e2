// Preloaded into the Prisma CLI: its Wasm schema engine leaves a long timer behind
// after finishing, which keeps the process alive for up to a minute. Unref'ing long
// timers lets the CLI exit as soon as its work is done.
const timers = require('node:timers');
for (const name of ['setTimeout', 'setInterval']) {
  const original = timers[name];
  const patched = function (fn, ms, ...args) {
    const timer = original(fn, ms, ...args);
    if (typeof ms === 'number' && ms >= 5000 && timer && typeof timer.unref === 'function') {
      timer.unref();
    }
    return timer;
  };
  timers[name] = patched;
  global[name] = patched;
}
