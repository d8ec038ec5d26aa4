// A real single-node SLURM cluster for the scale-out tests (Debian's slurmctld, slurmd, slurm-client and munge),
// started as plain processes with every file in one short temporary folder (Unix socket paths are limited),
// bound to 127.0.0.1, and stopped in the test's finally. Settings from ../shared/GUIDE.md §8: no cgroups
// (proctrack/linuxproc, task/none), no accounting (jobs are followed with squeue/scontrol), root as SlurmUser.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface SlurmCluster {
  readonly dir: string;
  /** The environment SLURM's clients need (SLURM_CONF), on top of this process's. */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const PROGRAMS = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel'];

function which(program: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', ...(process.env['PATH'] ?? '').split(':')]) {
    const file = path.join(dir, program);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/** Why a SLURM cluster cannot start here, or undefined when it can. */
export function slurmUnavailable(): string | undefined {
  const missing = PROGRAMS.filter((p) => which(p) === undefined);
  if (missing.length > 0) return `SLURM is not installed (${missing.join(', ')} missing; apt-get install slurmctld slurmd slurm-client munge — .ci/run does)`;
  if (process.getuid?.() !== 0) return 'the SLURM test cluster runs its daemons as root (SlurmUser=root); run the tests as root';
  return undefined;
}

async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ports.push((server.address() as net.AddressInfo).port);
    servers.push(server);
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function alive(pid: number): boolean {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`SLURM test cluster: ${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startSlurm(cpus = 2): Promise<SlurmCluster> {
  const dir = fs.mkdtempSync('/tmp/sl-');
  fs.chmodSync(dir, 0o755);
  const p = (name: string): string => path.join(dir, name);
  for (const sub of ['state', 'spool', 'log']) fs.mkdirSync(p(sub));
  const host = os.hostname().split('.')[0]!;
  const [ctldPort, dPort] = await freePorts(2);
  execFileSync(which('mungekey')!, ['--create', `--keyfile=${p('munge.key')}`], { stdio: 'ignore' });
  fs.chmodSync(p('munge.key'), 0o600);
  const socket = p('munge.sock');
  execFileSync(which('munged')!, ['--force', `--socket=${socket}`, `--key-file=${p('munge.key')}`, `--log-file=${p('log/munged.log')}`, `--pid-file=${p('munged.pid')}`, `--seed-file=${p('munged.seed')}`], { stdio: 'ignore' });
  fs.writeFileSync(p('plugstack.conf'), '');
  const conf = p('slurm.conf');
  fs.writeFileSync(
    conf,
    [
      'ClusterName=imgbuildtest',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'CommunicationParameters=NoInAddrAny,NoCtldInAddrAny',
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      'SlurmUser=root',
      'SlurmdUser=root',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'SchedulerParameters=batch_sched_delay=0',
      'AccountingStorageType=accounting_storage/none',
      'JobAcctGatherType=jobacct_gather/none',
      'JobCompType=jobcomp/filetxt',
      `JobCompLoc=${p('log/jobcomp.txt')}`,
      'MailProg=/bin/true',
      'MpiDefault=none',
      'MinJobAge=600',
      'ReturnToService=2',
      `StateSaveLocation=${p('state')}`,
      `SlurmdSpoolDir=${p('spool')}`,
      `SlurmctldPidFile=${p('slurmctld.pid')}`,
      `SlurmdPidFile=${p('slurmd.pid')}`,
      `SlurmctldLogFile=${p('log/slurmctld.log')}`,
      `SlurmdLogFile=${p('log/slurmd.log')}`,
      `PlugStackConfig=${p('plugstack.conf')}`,
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN`,
      `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const cluster: SlurmCluster = {
    dir,
    env,
    stop: async () => {
      spawnSync(which('scancel')!, ['--full', '--user=root'], { env, timeout: 10_000 });
      spawnSync(which('scontrol')!, ['shutdown'], { env, timeout: 10_000 });
      const pids = ['slurmd.pid', 'slurmctld.pid', 'munged.pid'].map((f) => readPid(p(f))).filter((x): x is number => x !== undefined);
      await until('the daemons stopping', () => pids.every((pid) => !alive(pid)), 5000).catch(() => {
        for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    execFileSync(which('slurmctld')!, ['-c', '-f', conf], { env, stdio: 'ignore' });
    execFileSync(which('slurmd')!, ['-f', conf], { env, stdio: 'ignore' });
    // The controller's first scheduling pass: a probe job must run before anything is timed or waited for.
    await until('the node coming up', () => /State=IDLE/i.test(spawnSync(which('scontrol')!, ['show', 'node'], { env, encoding: 'utf8' }).stdout ?? ''), 20_000);
    const probe = spawnSync(which('sbatch')!, ['--parsable', '--wait', `--chdir=${dir}`, `--output=${p('log/probe.log')}`, '--wrap=true'], { env, encoding: 'utf8', timeout: 60_000 });
    if (probe.status !== 0) throw new Error(`the probe job failed: ${probe.stderr}`);
  } catch (error) {
    const logs = ['slurmctld.log', 'slurmd.log'].map((f) => (fs.existsSync(p(`log/${f}`)) ? fs.readFileSync(p(`log/${f}`), 'utf8').split('\n').slice(-15).join('\n') : '')).join('\n');
    await cluster.stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return cluster;
}
