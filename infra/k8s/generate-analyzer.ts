// Writes infra/k8s/analyzer.yaml from the code's own tables, so the manifests cannot drift from them:
// one Deployment per analyzer job (ANALYZER_STAGES=<job>) and one KEDA ScaledObject scaling it on the length
// of that job's BullMQ wait list (`<QUEUE_PREFIX>:<queue name>:wait`, queue names from libs/contracts QUEUES).
//   node --import tsx infra/k8s/generate-analyzer.ts           # rewrite analyzer.yaml
//   node --import tsx infra/k8s/generate-analyzer.ts --check   # exit 1 if analyzer.yaml is stale (CI)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JOB_NAMES, QUEUES, type JobName } from '@earshot/contracts';
import { JOB_POLICIES } from '@earshot/queue';

/** Must match QUEUE_PREFIX in config.yaml (default 'earshot'). */
const QUEUE_PREFIX = 'earshot';

interface StageScaling {
  minReplicas: number;
  maxReplicas: number;
  /** Waiting jobs one replica is expected to absorb, in units of its worker concurrency. */
  backlogPerConcurrency: number;
  cpu: { request: string; limit: string };
  memory: { request: string; limit: string };
}

/** One entry per job: a job added to QUEUES without one fails this generator. */
const SCALING: { readonly [N in JobName]: StageScaling } = {
  // Live feedback (chunk_processed) waits on VAD: keep one warm.
  'chunk.vad': { minReplicas: 1, maxReplicas: 10, backlogPerConcurrency: 5, cpu: { request: '250m', limit: '1' }, memory: { request: '256Mi', limit: '512Mi' } },
  'chunk.speakers': { minReplicas: 1, maxReplicas: 10, backlogPerConcurrency: 5, cpu: { request: '250m', limit: '1' }, memory: { request: '256Mi', limit: '512Mi' } },
  // ~3 s of CPU per chunk with pocketsphinx: the stage that needs the most replicas.
  'chunk.transcribe': { minReplicas: 0, maxReplicas: 40, backlogPerConcurrency: 2, cpu: { request: '1', limit: '2' }, memory: { request: '512Mi', limit: '1Gi' } },
  'chunk.score': { minReplicas: 1, maxReplicas: 5, backlogPerConcurrency: 10, cpu: { request: '100m', limit: '500m' }, memory: { request: '128Mi', limit: '256Mi' } },
  'session.summary': { minReplicas: 0, maxReplicas: 5, backlogPerConcurrency: 5, cpu: { request: '100m', limit: '500m' }, memory: { request: '256Mi', limit: '512Mi' } },
  // The periodic sweep (stream lost, abandoned sessions, dead claims): one job per interval, one small pod.
  'session.sweep': { minReplicas: 1, maxReplicas: 1, backlogPerConcurrency: 10, cpu: { request: '50m', limit: '250m' }, memory: { request: '128Mi', limit: '256Mi' } },
};

const slug = (job: JobName): string => job.replace(/\./g, '-');

function stageManifests(job: JobName): string {
  const scaling = SCALING[job];
  if (!scaling) throw new Error(`no scaling entry for job ${job} in infra/k8s/generate-analyzer.ts`);
  const name = `analyzer-${slug(job)}`;
  const listLength = JOB_POLICIES[job].concurrency * scaling.backlogPerConcurrency;
  return `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: { app.kubernetes.io/part-of: earshot, app.kubernetes.io/name: analyzer, earshot.dev/stage: ${job} }
spec:
  # No \`replicas\`: KEDA owns the count (a fixed value here would fight it on every apply).
  selector:
    matchLabels: { app.kubernetes.io/name: analyzer, earshot.dev/stage: ${job} }
  template:
    metadata:
      labels: { app.kubernetes.io/part-of: earshot, app.kubernetes.io/name: analyzer, earshot.dev/stage: ${job} }
    spec:
      # A stage drains in-flight jobs on SIGTERM; give its longest job time to finish.
      terminationGracePeriodSeconds: ${Math.ceil(JOB_POLICIES[job].timeoutMs / 1000) + 15}
      containers:
        - name: analyzer
          image: earshot:latest
          args: ["apps/analyzer/src/main.ts"]
          envFrom:
            - configMapRef: { name: earshot-config }
            - secretRef: { name: earshot-secrets }
          env:
            - { name: PORT, value: "3102" }
            - { name: ANALYZER_STAGES, value: "${job}" }
          ports:
            - { name: http, containerPort: 3102 }
          livenessProbe:
            httpGet: { path: /health, port: http }
            periodSeconds: 10
          readinessProbe:
            httpGet: { path: /ready, port: http }
            periodSeconds: 10
          resources:
            requests: { cpu: "${scaling.cpu.request}", memory: ${scaling.memory.request} }
            limits: { cpu: "${scaling.cpu.limit}", memory: ${scaling.memory.limit} }
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: ${name}
  labels: { app.kubernetes.io/part-of: earshot, earshot.dev/stage: ${job} }
spec:
  scaleTargetRef:
    name: ${name}
  minReplicaCount: ${scaling.minReplicas}
  maxReplicaCount: ${scaling.maxReplicas}
  pollingInterval: 10
  # Jobs being processed are not in the wait list: wait before scaling in so running work can finish.
  cooldownPeriod: 300
  triggers:
    - type: redis
      metadata:
        addressFromEnv: REDIS_ADDRESS
        listName: ${QUEUE_PREFIX}:${QUEUES[job]}:wait
        listLength: "${listLength}"
        activationListLength: "0"
`;
}

export function renderAnalyzerManifests(): string {
  return (
    '# GENERATED by infra/k8s/generate-analyzer.ts from libs/contracts QUEUES and libs/queue JOB_POLICIES.\n' +
    '# Do not edit by hand: change the tables there and run `node --import tsx infra/k8s/generate-analyzer.ts`.\n' +
    '# One Deployment per analyzer job, each scaled by KEDA on its BullMQ wait list. Needs KEDA 2.x installed.\n' +
    JOB_NAMES.map(stageManifests).join('')
  );
}

const target = path.join(__dirname, 'analyzer.yaml');
const rendered = renderAnalyzerManifests();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== rendered) {
    process.stderr.write('infra/k8s/analyzer.yaml is stale: run `node --import tsx infra/k8s/generate-analyzer.ts`\n');
    process.exit(1);
  }
} else {
  writeFileSync(target, rendered);
  process.stdout.write(`wrote ${path.relative(process.cwd(), target)} (${JOB_NAMES.length} stages)\n`);
}
