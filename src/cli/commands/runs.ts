import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'runs',
  usage: 'Usage: conveyor runs (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor runs' is not implemented yet");
  },
};
export default command;
