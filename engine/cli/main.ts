/** The `netsprout` command line. Each command lives in its own module; this file only wires them. */
import { Command, CommanderError, Option } from 'commander';
import { backendsCommand } from './backendsCommand.js';
import { exportCommand, predictCommand } from './exportCommand.js';
import { experimentsCommand } from './experimentsCommand.js';
import { inspectCommand } from './inspectCommand.js';
import { latencyCommand } from './latencyCommand.js';
import { profileCommand } from './profileCommand.js';
import { resumeCommand, searchCommand } from './searchCommand.js';
import { reportError } from './output.js';
import { trainCommand } from './trainCommand.js';

const program = new Command();
program.name('netsprout').description('Grow a custom neural network for your own data, on your own machine.').exitOverride();

const wantsJson = process.argv.includes('--json');
async function run(action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (e) {
    process.exitCode = reportError(e, wantsJson);
  }
}

program
  .command('backends')
  .description('List the compute backends, whether each loads here and why, and the one NetSprout uses.')
  .option('--backend <name>', 'only try this backend (tfjs-node-gpu, tfjs-node, wasm, cpu); also NETSPROUT_BACKEND')
  .option('--json', 'print one JSON object')
  .action((opts) => run(() => backendsCommand(opts)));

program
  .command('inspect <path>')
  .description('Check a dataset: its kind, classes and counts, sizes, and every problem found, with how to fix it.')
  .option('--kind <kind>', 'override the detected kind: images, idx, table, text')
  .option('--target-column <column>', 'the column to predict in a table or text CSV (default: the last)')
  .addOption(new Option('--target <column>', 'the same as --target-column (its earlier name)').hideHelp())
  .option('--json', 'print one JSON object with the summary and the findings')
  .action((p, opts) => run(() => inspectCommand(p, { ...opts, target: opts.targetColumn ?? opts.target })));

program
  .command('train')
  .description('Train one architecture on a dataset and report loss, accuracy and time.')
  .requiredOption('--data <path>', 'an image folder (one sub-folder per class, optionally in train/ and test/), IDX files, a CSV/TSV table, a CSV of text and label, or a folder of .txt files per class')
  .option('--kind <kind>', 'override the detected kind: images, idx, table, text')
  .option('--target-column <column>', 'the column to predict in a table or text CSV (default: the last)')
  .addOption(new Option('--target <column>', 'the same as --target-column (its earlier name)').hideHelp())
  .option('--fit <how>', 'images of other shapes reach the working resolution by pad (letterbox) or crop (centre)', 'pad')
  .option('--augment <rule>', 'image augmentation: auto (crops, flips where the data allows), none, or e.g. crop=4,flip', 'auto')
  .option('--class-weights', 'weight the loss by inverse class frequency (offered by inspect when classes are unbalanced)')
  .option('--arch <graph.json|preset>', 'an architecture file, or a preset: auto (by data kind), reference-cnn, small-cnn, mlp, text-cnn', 'auto')
  .option('--epochs <n>', 'epochs', '1')
  .option('--batch-size <n>', 'batch size', '64')
  .option('--optimizer <name>', 'auto (Adam for text, SGD otherwise), sgd (momentum, SGDR) or adam', 'auto')
  .option('--lr <rate>', 'starting learning rate (annealed to 0 by cosine)')
  .option('--limit <n>', 'use at most this many training images')
  .option('--val-fraction <f>', 'share of the training images held out for validation', '0.1')
  .option('--backend <name>', 'compute backend (tfjs-node-gpu, tfjs-node, wasm, cpu); also NETSPROUT_BACKEND')
  .option('--seed <n>', 'random seed', '0')
  .option('--save <folder>', 'save the trained weights (checkpoint) to this folder')
  .option('--json', 'print one JSON object per line; the last line is the summary')
  .action((opts) => run(() => trainCommand({ ...opts, target: opts.targetColumn ?? opts.target })));

program
  .command('search')
  .description('Grow a network for a dataset within a time budget; without --data, on the bundled sample.')
  .option('--data <path>', 'the dataset (any kind `inspect` reads); default: the bundled Fashion-MNIST sample')
  .requiredOption('--budget <budget>', 'try (10 min), low (2 h), medium (5 h), high (16 h), or a duration such as 15m')
  .option('--strategy <name>', 'hill (hill climbing with morphisms, NASH), bayes (Bayesian optimisation over morphisms, Auto-Keras), random, pareto (LEMONADE-style evolution of the accuracy/latency/size front) nsga2 (NSGA-II over morphisms), ncevolve (neuro-cell evolution, NeuNetS), eas (RL meta-controller over Net2Net transformations), hyperband (Hyperband++ over architectures and training hyper-parameters), prune-replace (super-network Prune and Replace) or auto (chosen from the data, its difficulty, the budget and the target; the reasons in the job log)', 'hill')
  .option('--seed <n>', 'random seed', '0')
  .option('--out <folder>', 'the job folder to create', 'netsprout-job')
  .option('--kind <kind>', 'override the detected kind of data')
  .option('--target <device>', 'the device the model must run on: cpu (this computer, ONNX Runtime), gpu (this computer\'s GPU, TF.js CUDA), browser (TF.js WASM), or a device profile file from `netsprout profile`; built-in targets are profiled once and cached')
  .option('--target-column <column>', 'the column to predict in a table or text CSV (default: the last)')
  .option('--max-latency-ms <ms>', 'hard limit: latency per input at batch 1 on the target (needs --target)')
  .option('--max-params <n>', 'hard limit: the largest network allowed, in parameters')
  .option('--max-size-mb <mb>', 'hard limit: the size of the weights in MB (float32, 10^6 bytes)')
  .option('--json', 'one JSON event per line; the last line is the summary')
  .action((opts) => run(() => searchCommand(opts)));

program
  .command('experiments')
  .description('Show the experiment database that the accuracy predictor (TAPAS) learns from: its folder, size and contents; --clear empties it.')
  .option('--clear', 'delete every experiment recorded on this machine (the shipped starter experiments stay)')
  .option('--evaluate', 'also score the accuracy predictor on each job it was not fitted on (Spearman rank correlation)')
  .option('--json', 'print one JSON object')
  .action((opts) => run(() => experimentsCommand(opts)));

program
  .command('resume <jobFolder>')
  .description('Continue a search job that was stopped or killed, without losing or repeating finished work.')
  .option('--json', 'one JSON event per line; the last line is the summary')
  .action((dir, opts) => run(() => resumeCommand(dir, opts)));

program
  .command('export <jobFolder>')
  .description('Write a trained model as Keras 3, ONNX and TF.js files with a model card, checking that each gives NetSprout\'s answers.')
  .option('--candidate <id>', 'export this candidate of the job instead of its final (recommended) model')
  .option('--format <list>', 'comma-separated: keras, onnx, tfjs', 'keras,onnx,tfjs')
  .requiredOption('--out <folder>', 'the folder to write (new or empty)')
  .option('--data <path>', 'the dataset to check and describe the model with (default: the job\'s)')
  .option('--json', 'one JSON object per line; the last line is the report')
  .action((dir, opts) => run(() => exportCommand(dir, opts)));

program
  .command('predict')
  .description('Predict the classes of files (or of the rows of a CSV) with an exported model or a job\'s model.')
  .requiredOption('--model <folder>', 'a folder written by `netsprout export`, a job folder, or a checkpoint folder')
  .requiredOption('--data <path>', 'a file, a folder of files, or a CSV (tables, texts)')
  .option('--json', 'one JSON object per input: file, label, probabilities')
  .action((opts) => run(() => predictCommand(opts)));

program
  .command('profile')
  .description('Measure how fast networks of the search space run here, fit latency predictors and write a portable device profile.')
  .requiredOption('--out <file>', 'the device profile to write (JSON)')
  .option('--runtime <name>', 'onnx (ONNX Runtime on the CPU) or tfjs (the engine\'s TensorFlow.js backend)', 'onnx')
  .option('--samples <n>', 'measure at most this many architectures', '400')
  .option('--seconds <s>', 'time for the whole profile, measuring and fitting', '480')
  .option('--batch-size <n>', 'the batch size measured besides batch 1', '8')
  .option('--threads <n>', 'threads for the runtime (ONNX Runtime default 1; TF.js: the backend\'s, also NETSPROUT_THREADS)')
  .option('--backend <name>', 'with --runtime tfjs: the TF.js backend (tfjs-node-gpu, tfjs-node, wasm, cpu)')
  .option('--seed <n>', 'random seed for the architectures drawn', '0')
  .option('--json', 'one JSON object per line; the last line is the summary')
  .action((opts) => run(() => profileCommand(opts)));

program
  .command('latency')
  .description('Predict the latency of an architecture on a profiled device; with --measure, measure it here too.')
  .requiredOption('--profile <file>', 'a device profile written by `netsprout profile`')
  .requiredOption('--arch <graph.json>', 'the architecture')
  .option('--measure', 'also measure it on this machine with the profile\'s runtime and protocol')
  .option('--json', 'print one JSON object')
  .action((opts) => run(() => latencyCommand(opts)));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    if (e.exitCode !== 0 && !['commander.helpDisplayed', 'commander.version'].includes(e.code)) {
      process.stderr.write('  Run `netsprout --help` to see the commands and their options.\n');
    }
    process.exitCode = e.exitCode;
  } else {
    process.exitCode = reportError(e, wantsJson);
  }
}
