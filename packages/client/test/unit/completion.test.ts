/**
 * `lockctl completion bash|zsh`: the scripts parse (`bash -n`, `zsh -n`; `pnpm test` installs Debian's zsh when missing),
 * and bash, running the script as it would on Tab, offers every command of the table, each
 * group's subcommands, each command's flags and choices, and file names after a file flag.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMMANDS, GLOBAL_OPTIONS } from '../../src/cli/command-table';
import { completionScript } from '../../src/cli/completion';
import { main } from '../../src/cli/lockctl';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockctl-completion-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(shell: 'bash' | 'zsh'): string {
  const file = path.join(dir, `lockctl.${shell}`);
  fs.writeFileSync(file, completionScript(shell));
  return file;
}

/** What bash's completion offers for the words typed so far (the last one is being completed). */
function bashComplete(typed: string[]): string[] {
  const words = ['lockctl', ...typed].map((w) => `'${w}'`).join(' ');
  const program = `source '${script('bash')}'; cd '${dir}'; COMP_WORDS=(${words}); COMP_CWORD=${typed.length}; _lockctl; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', program], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}


describe('lockctl completion', () => {
  it('prints the script for bash and zsh, and refuses another shell naming it', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), env: {}, isTTY: false };
    expect(await main(['completion', 'bash'], io)).toBe(0);
    expect(out.join('')).toBe(completionScript('bash'));
    out.length = 0;
    expect(await main(['completion', 'zsh'], io)).toBe(0);
    expect(out.join('')).toBe(completionScript('zsh'));
    expect(await main(['completion', 'fish'], io)).toBe(2);
    expect(err.join('')).toContain("SHELL 'fish' is not one of bash, zsh");
  });

  it('the bash script parses (bash -n)', () => {
    const r = spawnSync('bash', ['-n', script('bash')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('bash completes every command of the table, the subcommands, flags and choices', () => {
    const top = bashComplete(['']);
    for (const c of COMMANDS) {
      const [first, sub] = c.name.split(' ');
      expect(top).toContain(first);
      if (sub !== undefined) expect(bashComplete([first ?? '', ''])).toContain(sub);
    }
    expect(top).toEqual(expect.arrayContaining(Object.keys(GLOBAL_OPTIONS).map((n) => `--${n}`)));
    for (const c of COMMANDS) {
      const offered = bashComplete([...c.name.split(' '), '--']);
      for (const flag of [...Object.keys(c.options), 'endpoints', 'json']) expect({ command: c.name, offered: offered.includes(`--${flag}`) }).toEqual({ command: c.name, offered: true });
    }
    // Flags between the words do not hide the command; a flag's value is not taken for one.
    expect(bashComplete(['--endpoints', 'h:1', 'members', '--json', ''])).toEqual(expect.arrayContaining(['list', 'add', 'remove']));
    expect(bashComplete(['locks', '--pre'])).toEqual(['--prefix']);
    expect(bashComplete(['completion', ''])).toEqual(expect.arrayContaining(['bash', 'zsh']));
    fs.writeFileSync(path.join(dir, 'ca.pem'), '');
    expect(bashComplete(['status', '--cacert', 'ca'])).toEqual(['ca.pem']);
    expect(bashComplete(['nosuchcommand', '--'])).toEqual([]);
  });

  it('the zsh script parses (zsh -n) and registers itself for lockctl after compinit (scripts/ensure-test-tools.sh installs zsh)', () => {
    const r = spawnSync('zsh', ['-n', script('zsh')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const loaded = spawnSync('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -d '${dir}/zcompdump'; source '${script('zsh')}'; print -r -- "\${_comps[lockctl]}"`], { encoding: 'utf8' });
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout).toBe('_lockctl\n');
  });

  it('the zsh script names every command of the table', () => {
    const z = completionScript('zsh');
    expect(z.startsWith('#compdef lockctl\n')).toBe(true);
    for (const c of COMMANDS) expect(z).toContain(`'${c.name.split(' ').pop() ?? ''}:`);
  });
});
