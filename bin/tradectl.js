#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx tradectl` works straight after `npm ci`, with no build step.
require('tsx/cjs');
const { exitWhenFlushed } = require('../client/exitWhenFlushed.ts');
require('../client/cli.ts')
  .main(process.argv)
  .then(exitWhenFlushed);
