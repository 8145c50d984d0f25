#!/usr/bin/env node
'use strict';
// The committed bin of lockctl: pnpm and npm link bins when they install, before `tsc -b` has
// made dist/, so the bin must exist in the source tree; the CLI itself is compiled.
require('../dist/cli/lockctl.js').runCli();
