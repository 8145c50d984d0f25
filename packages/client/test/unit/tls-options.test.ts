/**
 * The SDK's `tls` option: PEM as Buffers or strings, bad settings refused with a message that
 * names them, and one setup for every address (endpoints and redirect targets alike); an IP
 * address is never sent as the TLS server name.
 */
import { credentialsFor } from '../../src/channels';
import { InvalidArgumentError } from '../../src/errors';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('credentialsFor', () => {
  it('refuses a certificate without its key, a key without its certificate, and a path given for PEM text', () => {
    expect(() => credentialsFor({ cert: PEM })).toThrow(new InvalidArgumentError('tls.cert given without tls.key'));
    expect(() => credentialsFor({ key: PEM })).toThrow(new InvalidArgumentError('tls.key given without tls.cert'));
    expect(() => credentialsFor({ ca: '/etc/ssl/ca.crt' })).toThrow("tls.ca is not PEM text (no '-----BEGIN' line); pass the file's contents, not its path");
  });

  it('dials every address with TLS; an IP address gets a placeholder server name, a host name its own, serverName wins', () => {
    const setup = credentialsFor({ ca: Buffer.from(PEM) });
    const byIp = setup('127.0.0.1:6001');
    const byName = setup('node-1.example:6001');
    expect(byIp.credentials._isSecure()).toBe(true);
    expect(byName.credentials._isSecure()).toBe(true);
    expect(byIp.options).toEqual({ 'grpc.ssl_target_name_override': 'quorumlock-server' });
    expect(byName.options).toEqual({});
    const named = credentialsFor({ ca: PEM, serverName: 'quorumlock.internal' });
    expect(named('10.0.0.1:6001').options).toEqual({ 'grpc.ssl_target_name_override': 'quorumlock.internal' });
    expect(credentialsFor(undefined)('127.0.0.1:6001').credentials._isSecure()).toBe(false);
  });
});
