import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'rollback',
  usage: 'Usage: conveyor rollback (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor rollback' is not implemented yet");
  },
};
export default command;
