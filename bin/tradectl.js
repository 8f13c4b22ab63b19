#!/usr/bin/env node
// tradectl from its bundle (./buildCli.js: built at install, rebuilt when a source changed), so `status` starts in a
// fraction of the time tsx takes to compile the TypeScript; TRADECTL_SOURCE=1 runs the sources through tsx instead.
// It exits only once stdout has drained (client/exitWhenFlushed.ts), so piped output is never cut.
'use strict';
const run = (cli) => cli.main(process.argv).then(cli.exitWhenFlushed);
if (process.env.TRADECTL_SOURCE === '1') {
  require('tsx/cjs');
  run(require('../client/cli.ts'));
} else {
  require('./buildCli').loadCli().then(run, (err) => {
    console.error(`tradectl: ${err.message}`);
    process.exit(1);
  });
}
