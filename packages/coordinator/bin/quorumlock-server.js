#!/usr/bin/env node
'use strict';
// The committed bin of quorumlock-server: pnpm and npm link bins when they install, before
// `tsc -b` has made dist/, so the bin must exist in the source tree; the server is compiled.
require('../dist/main.js');
