// `npm run bench`: prints figures measured in one run, as ratios against bare baselines. Not a test.
import { runDecodeBench } from './decode';

async function main(): Promise<void> {
  const print = (l: string) => process.stdout.write(`${l}\n`);
  print(`Claude Code Ledger benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  // Parts: `bench/run.ts [decode] [store] [ingest] [statusline] [transcripts] [grpc]` (none: all).
  const only = process.argv.slice(2);
  if (only.length === 0 || only.includes('decode')) await runDecodeBench(print);
  if (only.length === 0 || only.includes('store')) {
    const store = await import('./store').catch((err: unknown) => {
      print(`store bench unavailable: ${(err as Error).message}`);
      return undefined;
    });
    if (store) await store.runStoreBench(print);
  }
  if (only.length === 0 || only.includes('ingest')) {
    const { runIngestBench } = await import('./ingest');
    await runIngestBench(print);
  }
  if (only.length === 0 || only.includes('statusline')) {
    const { runStatuslineBench } = await import('./statusline');
    await runStatuslineBench(print);
  }
  if (only.length === 0 || only.includes('grpc')) {
    const { runGrpcBench } = await import('./grpc');
    await runGrpcBench(print);
  }
  if (only.length === 0 || only.includes('transcripts')) {
    const { runTranscriptBench } = await import('./transcripts');
    await runTranscriptBench(print);
  }
  if (only.length === 0 || only.includes('forward')) {
    const { runForwardBench } = await import('./forward');
    await runForwardBench(print);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
