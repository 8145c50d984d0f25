'use strict';
// The directory that holds quorumlock/v1/*.proto, for @grpc/proto-loader's includeDirs.
const path = require('node:path');
exports.protoDir = __dirname;
exports.lockProto = path.join(__dirname, 'quorumlock', 'v1', 'lock.proto');
exports.raftProto = path.join(__dirname, 'quorumlock', 'v1', 'raft.proto');
