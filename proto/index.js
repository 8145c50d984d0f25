'use strict';
// The directory that holds quorumlock/v1/*.proto, for @grpc/proto-loader's includeDirs.
const path = require('node:path');
exports.protoDir = __dirname;
exports.lockProto = path.join(__dirname, 'quorumlock', 'v1', 'lock.proto');
exports.raftProto = path.join(__dirname, 'quorumlock', 'v1', 'raft.proto');
// How every package loads these files with @grpc/proto-loader. Client and server must present
// messages the same way (camelCase fields, 64-bit integers as numbers, enum names, oneof names).
exports.loaderOptions = Object.freeze({ keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [__dirname] });
