import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'run',
  usage: 'Usage: conveyor run (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor run' is not implemented yet");
  },
};
export default command;
