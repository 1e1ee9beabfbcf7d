/**
 * `orch init` writes a project that validates (with its OpenAI override too) and runs on the
 * mock, and never overwrites anything; `orch completion` prints scripts that complete the
 * commands and options the program declares.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orch, singleJson } from './cli-harness.ts';

const FILES = ['manifests/system.yaml', 'manifests/agents.yaml', 'manifests/model.yaml', 'providers/openai.yaml', 'orch.test.mjs', 'README.md'];

describe('orch init', () => {
  it('writes a project that validates, runs on the mock, and has a test; a second init overwrites nothing', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'orch-init-')), 'brief-desk');
    const init = await orch(['init', dir], { temporal: false });
    expect(init.code).toBe(0);
    expect(init.stdout.trim().split('\n')).toEqual(FILES.map((file) => join(dir, file)));
    expect(readFileSync(join(dir, 'manifests/system.yaml'), 'utf8')).toContain('name: brief-desk\n');

    expect(await orch(['validate', join(dir, 'manifests'), '--json'], { temporal: false })).toMatchObject({ code: 0, stdout: expect.stringContaining('"valid":true') });
    const withOpenAI = await orch(['validate', join(dir, 'manifests'), '--override', join(dir, 'providers/openai.yaml'), '--json'], { temporal: false });
    expect(withOpenAI).toMatchObject({ code: 0, stdout: expect.stringContaining('"valid":true') });
    const run = await orch(['run', join(dir, 'manifests'), '--json', '--input', 'topic=testing']);
    expect(run.code).toBe(0);
    expect(singleJson(run.stdout)).toMatchObject({ status: 'succeeded', output: expect.stringMatching(/^# Brief: testing\n/) });
    // The test it wrote is a valid module.
    execFileSync(process.execPath, ['--check', join(dir, 'orch.test.mjs')]);

    writeFileSync(join(dir, 'README.md'), 'my notes');
    const again = await orch(['init', dir], { temporal: false });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already has manifests/system.yaml');
    expect(again.stderr).toContain('nothing was written');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('my notes');
  });

  it('a name that is not a resource name is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-init-'));
    expect(await orch(['init', dir, '--name', 'Not A Name'], { temporal: false })).toMatchObject({ code: 2, stderr: expect.stringMatching(/^orch: --name: /) });
  });
});

describe('orch completion', () => {
  /** What bash completes for `words` (the last one being completed) with the script sourced. */
  function bashCompletes(script: string, words: string[]): string[] {
    const file = join(mkdtempSync(join(tmpdir(), 'orch-completion-')), 'orch.bash');
    writeFileSync(file, script);
    const out = execFileSync('bash', ['-c', `source "$1"; COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _orch; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', file], { encoding: 'utf8' });
    return out.trim().split('\n').filter(Boolean);
  }

  it('bash: completes commands, a command\'s options, and server\'s subcommands', async () => {
    const { code, stdout } = await orch(['completion', 'bash'], { temporal: false });
    expect(code).toBe(0);
    expect(bashCompletes(stdout, ['orch', 'ru'])).toEqual(['run', 'runs']);
    expect(bashCompletes(stdout, ['orch', 'run', '--js'])).toEqual(['--json']);
    expect(bashCompletes(stdout, ['orch', 'logs', '--fo'])).toEqual(['--follow']);
    expect(bashCompletes(stdout, ['orch', 'server', 'st'])).toEqual(expect.arrayContaining(['start', 'status', 'stop']));
  });

  it('zsh and fish get theirs; another shell is a usage error', async () => {
    expect((await orch(['completion', 'zsh'], { temporal: false })).stdout).toMatch(/bashcompinit[\s\S]*complete -o filenames -F _orch orch/);
    const fish = await orch(['completion', 'fish'], { temporal: false });
    expect(fish.stdout).toContain("complete -c orch -n '__fish_use_subcommand' -a 'replay'");
    expect(fish.stdout).toContain("complete -c orch -n '__fish_seen_subcommand_from run' -l 'json'");
    expect(await orch(['completion', 'tcsh'], { temporal: false })).toMatchObject({ code: 2 });
  });
});
