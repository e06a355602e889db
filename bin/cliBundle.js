// The command line as one esbuild bundle of src/cli.ts, built on first use and rebuilt when a
// source it was built from changes, so a fresh clone still needs no build step.
//
// Why not tsx, which runs the sources as they are: tsx keeps every transformed module and its
// inline source map in memory, about 75 MiB of a running show's resident memory (docs/architecture.md,
// "Memory"). The bundle keeps one script and one source map (stack traces still name src/*.ts).
//
// Packages stay external (resolved from node_modules beside the cache). `import.meta.url` in each
// source is replaced by that source's own file URL, so paths computed from it (migrations/,
// dashboard/, the sink workers' entries) point where they do when running the sources.
import { readFile, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the bundle is kept: ignored by git; packages resolve from ROOT/node_modules. */
export const CACHE_DIR = join(ROOT, '.cache', 'cli');
const BUNDLE = join(CACHE_DIR, 'cli.mjs');
const INPUTS = join(CACHE_DIR, 'inputs.json');

/** Changing how the bundle is built invalidates bundles built before. */
const FORMAT = 1;

/**
 * The bundle's file URL, rebuilt first when it is missing or any of its inputs (or esbuild's
 * version) changed. Throws when it cannot be built or written (the caller falls back to tsx).
 */
export async function cliBundle() {
  const esbuild = await import('esbuild');
  if (await fresh(esbuild.version)) return pathToFileURL(BUNDLE).href;
  const result = await esbuild.build({
    entryPoints: [join(ROOT, 'src', 'cli.ts')],
    // The metafile's input paths are relative to it: from chatflow's directory, whatever the
    // working directory (`chatflow run` in a project elsewhere), or every later start rebuilds
    // in vain and runs through tsx.
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'external',
    sourcesContent: false,
    keepNames: true,
    metafile: true,
    write: false,
    outfile: BUNDLE,
    logLevel: 'silent',
    plugins: [ownImportMetaUrl],
  });
  // Its service process would otherwise live as long as chatflow (src/core/esbuildBuild.ts).
  await esbuild.stop();
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    const path = resolve(ROOT, file);
    inputs[path] = await signature(path);
  }
  await mkdir(CACHE_DIR, { recursive: true });
  // Several chatflow processes may build at once (tests): each writes its own files, then
  // renames them into place; a rename is atomic, and any of the identical results may win.
  const tmp = `.${process.pid}.tmp`;
  for (const out of result.outputFiles) await writeFile(out.path + tmp, out.contents);
  await writeFile(INPUTS + tmp, JSON.stringify({ format: FORMAT, esbuild: esbuild.version, inputs }));
  for (const out of result.outputFiles) await rename(out.path + tmp, out.path);
  await rename(INPUTS + tmp, INPUTS);
  return pathToFileURL(BUNDLE).href;
}

async function fresh(esbuildVersion) {
  try {
    const recorded = JSON.parse(await readFile(INPUTS, 'utf8'));
    if (recorded.format !== FORMAT || recorded.esbuild !== esbuildVersion) return false;
    await stat(BUNDLE);
    for (const [path, sig] of Object.entries(recorded.inputs)) if ((await signature(path)) !== sig) return false;
    return true;
  } catch {
    return false;
  }
}

async function signature(path) {
  const s = await stat(path);
  return `${s.size}:${s.mtimeMs}`;
}

/** Replaces `import.meta.url` in each source with the URL of that source file. */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: text.replaceAll('import.meta.url', url), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
};
