// A real Kubernetes control plane on loopback (etcd, kube-apiserver, optionally kube-controller-manager),
// built from the Go modules by build.sh. Integration tests need the real API server: schema and CEL
// validation, subresources, conflicts, watch semantics, RBAC and (with KCM) garbage collection live there.
// See ../../../shared/reference/engineering.md §5 for where the flags come from.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  commandLine,
  isAlive,
  killGroupsNow,
  launch,
  startReaper,
  stopProcess,
  tail,
  type Managed,
  type Reaper,
} from './processes.ts';

export const CLUSTER_DIR = dirname(fileURLToPath(import.meta.url));

/** The operator's identity: the ServiceAccount that deploy/ binds its RBAC to. */
export const OPERATOR_USER = 'system:serviceaccount:vmfleet-system:vmfleet';
export const OPERATOR_GROUPS = [
  'system:serviceaccounts',
  'system:serviceaccounts:vmfleet-system',
  'system:authenticated',
] as const;
export const OPERATOR_NAMESPACE = 'vmfleet-system';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  input?: string;
  as?: 'admin' | 'operator';
}

/** Everything a test needs to reach the plane; plain data so vitest's provide/inject can carry it. */
export interface ClusterInfo {
  server: string;
  adminKubeconfig: string;
  operatorKubeconfig: string;
  adminToken: string;
  operatorToken: string;
  /** PEM of the API server's self-signed serving certificate (it is its own CA). */
  caCert: string;
  binDir: string;
  /** JSON-lines audit log of write requests, or null when the plane runs without one. */
  auditLogPath: string | null;
}

export interface ControlPlane extends ClusterInfo {
  /** Directory holding data, logs and kubeconfigs. */
  readonly baseDir: string;
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Starts kube-controller-manager if it is not running (start it after CRDs exist, see below). */
  startControllerManager(): Promise<void>;
  /**
   * Stops kube-apiserver (SIGTERM, or SIGKILL with `crash`) and starts it again on the same port, with the
   * same certificate, tokens and data; resolves once it is ready again.
   */
  restartApiServer(opts?: { crash?: boolean }): Promise<void>;
  stop(): Promise<void>;
  /** The PIDs (process-group leaders) of the running components. */
  pids(): number[];
}

export interface StartOptions {
  /**
   * Run kube-controller-manager (garbage collector and namespace controllers). Its garbage collector
   * discovers resource types at start and then only every 30 s, so when CRDs are applied after start,
   * prefer leaving this off and calling startControllerManager() once they are Established.
   */
  withControllerManager?: boolean;
  /** Write an audit log of write verbs (Metadata level) for counting writes per user. */
  auditLog?: boolean;
  /** Extra kube-apiserver flags (later ones win), e.g. feature gates for a particular test. */
  apiServerFlags?: string[];
  /** Use these binaries instead of running build.sh. */
  binDir?: string;
  /** Fixed working directory (wiped first); default: a fresh temp dir removed by stop(). */
  baseDir?: string;
  /** Keep the processes running after this Node process exits (cluster:up); no reaper, no exit hook. */
  persistent?: boolean;
  /** Progress messages; default: silent. */
  log?: (message: string) => void;
}

/** Thrown when the binaries cannot be had (no Go and nothing cached); callers decide to skip or fail. */
export class ClusterUnavailableError extends Error {
  override name = 'ClusterUnavailableError';
}

/** Builds the binaries if needed (cached outside the repo by version) and returns their directory. */
export async function ensureBinaries(log: (message: string) => void = () => undefined): Promise<string> {
  const fromEnv = process.env['VMFLEET_CLUSTER_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const result = await run('bash', [join(CLUSTER_DIR, 'build.sh')], { onStderr: log });
  const binDir = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.code === 3) throw new ClusterUnavailableError(lastLine(result.stderr));
  if (result.code !== 0 || binDir === '') {
    throw new Error(`test/cluster/build.sh failed (exit ${result.code}):\n${result.stderr.slice(-4000)}`);
  }
  return binDir;
}

export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => undefined);
  const binDir = opts.binDir ?? (await ensureBinaries(log));
  const baseDir = await prepareBaseDir(opts.baseDir);
  const plane = new Plane(binDir, baseDir, opts);
  try {
    await plane.start();
    if (opts.withControllerManager === true) await plane.startControllerManager();
  } catch (err) {
    await plane.stop();
    throw err;
  }
  return plane;
}

async function prepareBaseDir(fixed: string | undefined): Promise<string> {
  if (fixed === undefined) return mkdtemp(join(tmpdir(), 'vmfleet-cp-'));
  await rm(fixed, { recursive: true, force: true });
  await mkdir(fixed, { recursive: true });
  return fixed;
}

interface Secrets {
  adminToken: string;
  operatorToken: string;
}

class Plane implements ControlPlane {
  server = '';
  adminKubeconfig: string;
  operatorKubeconfig: string;
  adminToken: string;
  operatorToken: string;
  caCert = '';
  auditLogPath: string | null;
  private etcd: Managed | undefined;
  private apiServer: Managed | undefined;
  private controllerManager: Managed | undefined;
  private apiServerArgs: string[] = [];
  private readonly reaper: Reaper | undefined;
  private readonly exitHook = (): void => {
    killGroupsNow(this.pids());
  };
  readonly binDir: string;
  readonly baseDir: string;
  private readonly opts: StartOptions;

  constructor(binDir: string, baseDir: string, opts: StartOptions) {
    this.binDir = binDir;
    this.baseDir = baseDir;
    this.opts = opts;
    const secrets: Secrets = { adminToken: token(), operatorToken: token() };
    this.adminToken = secrets.adminToken;
    this.operatorToken = secrets.operatorToken;
    this.adminKubeconfig = join(baseDir, 'admin.kubeconfig');
    this.operatorKubeconfig = join(baseDir, 'operator.kubeconfig');
    this.auditLogPath = opts.auditLog === true ? join(baseDir, 'audit.log') : null;
    if (opts.persistent !== true) {
      this.reaper = startReaper();
      if (opts.baseDir === undefined) this.reaper.removeOnCrash(baseDir);
      process.on('exit', this.exitHook);
    }
  }

  private get log(): (message: string) => void {
    return this.opts.log ?? (() => undefined);
  }

  async start(): Promise<void> {
    const started = Date.now();
    await this.writeAuthFiles();
    await this.startEtcd();
    this.log(`etcd ready after ${Date.now() - started} ms`);
    await this.startApiServer();
    this.caCert = await readFile(join(this.baseDir, 'certs', 'apiserver.crt'), 'utf8');
    await this.writeKubeconfigs();
    this.log(`kube-apiserver ready at ${this.server} after ${Date.now() - started} ms`);
  }

  private async writeAuthFiles(): Promise<void> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    await mkdir(join(this.baseDir, 'certs'), { recursive: true });
    await writeFile(join(this.baseDir, 'sa.pub'), publicKey);
    await writeFile(join(this.baseDir, 'sa.key'), privateKey, { mode: 0o600 });
    // Static token file: token,user,uid,"group1,group2"
    const tokens = [
      `${this.adminToken},vmfleet-admin,vmfleet-admin,"system:masters,system:authenticated"`,
      `${this.operatorToken},${OPERATOR_USER},vmfleet-operator,"${OPERATOR_GROUPS.join(',')}"`,
    ];
    await writeFile(join(this.baseDir, 'tokens.csv'), `${tokens.join('\n')}\n`, { mode: 0o600 });
    if (this.auditLogPath !== null) await writeFile(join(this.baseDir, 'audit-policy.yaml'), AUDIT_POLICY);
  }

  private async startEtcd(): Promise<void> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    this.etcd = this.launch('etcd', [
      `--data-dir=${join(this.baseDir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      // A single member never talks to peers; port 0 avoids reserving one (envtest does the same).
      '--listen-peer-urls=http://127.0.0.1:0',
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    const etcd = this.etcd;
    await waitFor('etcd', etcd, async () => (await httpGet(`${url}/health`)).includes('"health":"true"'));
    this.apiServerArgs = this.apiServerFlags(url);
  }

  private apiServerFlags(etcdUrl: string): string[] {
    const flags = [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${join(this.baseDir, 'certs')}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // 1.37 refuses a loopback advertise address for the `kubernetes` Service endpoints; nothing here
      // reaches the API server through that Service, so it is not reconciled at all.
      '--endpoint-reconciler-type=none',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--authorization-mode=RBAC',
      `--token-auth-file=${join(this.baseDir, 'tokens.csv')}`,
      // No controller creates the `default` ServiceAccount here, so its admission plugin would block pods.
      '--disable-admission-plugins=ServiceAccount',
      `--service-account-key-file=${join(this.baseDir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(this.baseDir, 'sa.key')}`,
      // Without a watch-drain deadline a SIGTERM waits on open watches (KCM's, an operator's) until the
      // stop gives up and kills; 1 s keeps restartApiServer() graceful and about 5 s long.
      '--shutdown-watch-termination-grace-period=1s',
    ];
    if (this.auditLogPath !== null) {
      flags.push(
        `--audit-policy-file=${join(this.baseDir, 'audit-policy.yaml')}`,
        `--audit-log-path=${this.auditLogPath}`,
        '--audit-log-format=json',
        // Blocking: an event is on disk when the request returns, so tests can count writes right after.
        '--audit-log-mode=blocking',
        '--audit-log-maxbackup=1',
      );
    }
    return [...flags, ...(this.opts.apiServerFlags ?? [])];
  }

  private async startApiServer(port?: number): Promise<void> {
    // A free port can be taken between probing and binding; retry with a new one unless it is fixed.
    for (let attempt = 1; ; attempt++) {
      const chosen = port ?? (await freePort());
      const server = `https://127.0.0.1:${chosen}`;
      this.apiServer = this.launch('kube-apiserver', [
        ...this.apiServerArgs,
        `--secure-port=${chosen}`,
        `--service-account-issuer=${server}`,
      ]);
      try {
        await waitFor('kube-apiserver', this.apiServer, () => this.isReady(server), 90_000);
        this.server = server;
        return;
      } catch (err) {
        const portTaken = (await tail(this.apiServer.logPath, 20)).includes('address already in use');
        if (!portTaken || attempt >= 3) throw err;
      }
    }
  }

  private async isReady(server: string): Promise<boolean> {
    const body = await httpsGet(`${server}/readyz`, this.adminToken);
    return body === 'ok';
  }

  private async writeKubeconfigs(): Promise<void> {
    const ca = Buffer.from(this.caCert).toString('base64');
    await writeFile(this.adminKubeconfig, kubeconfig(this.server, ca, 'vmfleet-admin', this.adminToken), {
      mode: 0o600,
    });
    await writeFile(
      this.operatorKubeconfig,
      kubeconfig(this.server, ca, 'vmfleet-operator', this.operatorToken, OPERATOR_NAMESPACE),
      { mode: 0o600 },
    );
  }

  async startControllerManager(): Promise<void> {
    if (this.controllerManager !== undefined && !this.controllerManager.hasExited()) return;
    this.controllerManager = this.launch('kube-controller-manager', [
      `--kubeconfig=${this.adminKubeconfig}`,
      '--controllers=garbage-collector-controller,namespace-controller',
      '--leader-elect=false',
      '--use-service-account-credentials=false',
      '--bind-address=127.0.0.1',
      // No health endpoint is needed, and 0 disables serving so no port has to be reserved.
      '--secure-port=0',
    ]);
    // KCM has no readiness signal without its port; a prompt exit (bad flag) is what we can catch.
    const early = await Promise.race([this.controllerManager.exited, delay(1_000, null)]);
    if (early !== null) {
      throw new Error(
        `kube-controller-manager exited (${early}):\n${await tail(this.controllerManager.logPath)}`,
      );
    }
    this.log('kube-controller-manager started');
  }

  async restartApiServer(opts: { crash?: boolean } = {}): Promise<void> {
    const current = this.apiServer;
    if (current === undefined) throw new Error('kube-apiserver is not running');
    await this.stopComponent(current, opts.crash === true ? 0 : 10_000);
    const port = Number(new URL(this.server).port);
    await this.startApiServer(port);
  }

  kubectl(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
    return kubectl(this, args, opts);
  }

  pids(): number[] {
    return [this.controllerManager, this.apiServer, this.etcd]
      .filter((m): m is Managed => m !== undefined && !m.hasExited())
      .map((m) => m.pid);
  }

  async stop(): Promise<void> {
    const throwaway = this.opts.baseDir === undefined;
    // A throwaway plane's data dies with it, so there is nothing to shut down gracefully: SIGKILL saves
    // the 2-3 s each component spends on an orderly shutdown. A kept plane stops in order, etcd last.
    const graceMs = throwaway ? 0 : 5_000;
    await Promise.all([this.controllerManager, this.apiServer].map((c) => this.stopComponent(c, graceMs)));
    await this.stopComponent(this.etcd, graceMs);
    process.off('exit', this.exitHook);
    if (throwaway) await rm(this.baseDir, { recursive: true, force: true });
    this.reaper?.release();
  }

  private async stopComponent(component: Managed | undefined, graceMs = 5_000): Promise<void> {
    if (component === undefined) return;
    await stopProcess(component.pid, component.exited, graceMs);
    this.reaper?.untrack(component.pid);
  }

  private launch(name: string, args: string[]): Managed {
    const persistent = this.opts.persistent === true;
    const managed = launch(name, join(this.binDir, name), args, join(this.baseDir, `${name}.log`), {
      persistent,
    });
    this.reaper?.track(managed.pid);
    return managed;
  }
}

/** Runs kubectl against a plane as the admin (default) or the operator identity. */
export function kubectl(
  info: ClusterInfo,
  args: string[],
  opts: KubectlOptions = {},
): Promise<KubectlResult> {
  const config = opts.as === 'operator' ? info.operatorKubeconfig : info.adminKubeconfig;
  return run(join(info.binDir, 'kubectl'), [`--kubeconfig=${config}`, ...args], { input: opts.input });
}

/** The plain-data view of a plane, for vitest's provide() and for state files. */
export function clusterInfo(plane: ClusterInfo): ClusterInfo {
  const { server, adminKubeconfig, operatorKubeconfig, adminToken, operatorToken, caCert } = plane;
  return {
    server,
    adminKubeconfig,
    operatorKubeconfig,
    adminToken,
    operatorToken,
    caCert,
    binDir: plane.binDir,
    auditLogPath: plane.auditLogPath,
  };
}

// Metadata level for writes only: later tests count writes per user; reads would drown the log.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: None
`;

export interface AuditEvent {
  verb: string;
  user: { username: string; groups?: string[] };
  objectRef?: {
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
  };
  responseStatus?: { code?: number };
  stage: string;
  requestURI: string;
  /** RFC 3339 with microseconds: when the request arrived and when this stage was reached. */
  requestReceivedTimestamp?: string;
  stageTimestamp?: string;
}

/** Completed audit events (stage ResponseComplete) from a plane's audit log. */
export async function readAuditEvents(auditLogPath: string): Promise<AuditEvent[]> {
  if (!existsSync(auditLogPath)) return [];
  const text = await readFile(auditLogPath, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((event) => event.stage === 'ResponseComplete');
}

function kubeconfig(server: string, ca: string, user: string, bearer: string, namespace?: string): string {
  // JSON is valid YAML, and every kubeconfig reader accepts it.
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'vmfleet-test', cluster: { server, 'certificate-authority-data': ca } }],
    users: [{ name: user, user: { token: bearer } }],
    contexts: [
      { name: user, context: { cluster: 'vmfleet-test', user, ...(namespace ? { namespace } : {}) } },
    ],
    'current-context': user,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

function token(): string {
  return randomBytes(24).toString('hex');
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? text;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Polls `ready` until it returns true; fails fast with the log tail if the process exits first. */
async function waitFor(
  name: string,
  proc: Managed,
  ready: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      throw new Error(
        `${name} exited (${await proc.exited}) before it was ready:\n${await tail(proc.logPath)}`,
      );
    }
    if (await ready().catch(() => false)) return;
    await delay(100);
  }
  throw new Error(`${name} not ready after ${timeoutMs} ms:\n${await tail(proc.logPath)}`);
}

async function httpGet(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.text();
}

/** GET over TLS without verification: used only to poll /readyz before the certificate is read. */
function httpsGet(url: string, bearer: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { rejectUnauthorized: false, headers: { authorization: `Bearer ${bearer}` }, timeout: 2_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve(body);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

interface RunOptions {
  input?: string | undefined;
  onStderr?: (line: string) => void;
}

function run(bin: string, args: string[], opts: RunOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const line of chunk.split('\n')) if (line.trim() !== '') opts.onStderr?.(line);
    });
    child.on('error', (err) => {
      resolve({ code: 127, stdout, stderr: `${stderr}${err.message}` });
    });
    child.on('close', (code) => {
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

// ---- persistent plane for `npm run cluster:up` / `cluster:down` ----

// One kept plane per user by default; set VMFLEET_CLUSTER_RUN_DIR to run a second one beside it.
export const RUN_DIR =
  process.env['VMFLEET_CLUSTER_RUN_DIR'] ?? join(homedir(), '.cache', 'vmfleet', 'cluster-run');
const STATE_FILE = 'state.json';

interface RunState extends ClusterInfo {
  pids: number[];
  baseDir: string;
}

export async function writeRunState(plane: ControlPlane): Promise<void> {
  const state: RunState = { ...clusterInfo(plane), pids: plane.pids(), baseDir: plane.baseDir };
  await writeFile(join(plane.baseDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export async function readRunState(baseDir = RUN_DIR): Promise<RunState | null> {
  try {
    return JSON.parse(await readFile(join(baseDir, STATE_FILE), 'utf8')) as RunState;
  } catch {
    return null;
  }
}

/** PIDs from a state file that are still ours: alive and started with our directory on the command line. */
export function livePids(state: RunState): number[] {
  return state.pids.filter((pid) => isAlive(pid) && commandLine(pid).includes(state.baseDir));
}

/** Stops a kept plane in order: its clients first (together), etcd last so they can shut down cleanly. */
export async function stopRunState(state: RunState): Promise<number> {
  const pids = livePids(state);
  const isEtcd = (pid: number): boolean => commandLine(pid).includes('/etcd ');
  await Promise.all(pids.filter((pid) => !isEtcd(pid)).map((pid) => stopProcess(pid)));
  await Promise.all(pids.filter(isEtcd).map((pid) => stopProcess(pid)));
  return pids.length;
}
