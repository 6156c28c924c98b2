import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'pipeline',
  usage: 'Usage: conveyor pipeline (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor pipeline' is not implemented yet");
  },
};
export default command;
