import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'deploy',
  usage: 'Usage: conveyor deploy (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor deploy' is not implemented yet");
  },
};
export default command;
