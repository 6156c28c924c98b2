import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'build',
  usage: 'Usage: conveyor build (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor build' is not implemented yet");
  },
};
export default command;
