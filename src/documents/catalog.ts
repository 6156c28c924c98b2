/**
 * Every rule Conveyor's validator reports: id, severity, one line of what it checks.
 * docs/rules.md lists each of these (a test keeps them in step).
 */
import type { Severity } from './diagnostics.js';

export interface RuleInfo {
  severity: Severity;
  description: string;
  /** Where the severity follows what AWS does rather than what its reference says, and the source. */
  evidence?: string;
}

const e = (description: string, evidence?: string): RuleInfo => ({
  severity: 'error',
  description,
  ...(evidence ? { evidence } : {}),
});
const w = (description: string, evidence?: string): RuleInfo => ({
  severity: 'warning',
  description,
  ...(evidence ? { evidence } : {}),
});

type SchemaRuleId<K extends string> =
  | `${K}/missing-key`
  | `${K}/unknown-key`
  | `${K}/invalid-type`
  | `${K}/invalid-value`;

/** Who reads a kind's files decides what an unknown key costs, and so its severity. */
type UnknownKeyReader = 'aws-ignores' | 'aws-rejects' | 'conveyor-only';

const UNKNOWN_KEY: Record<UnknownKeyReader, (kind: string) => RuleInfo> = {
  'aws-ignores': (kind) =>
    w(
      `a key the ${kind} format does not define; AWS ignores it, which usually means a typo or a misplaced block`,
    ),
  'aws-rejects': (kind) =>
    e(`a key the ${kind} format does not define; the AWS CLI and SDK reject unknown parameters`),
  // Only Conveyor reads these files. Skipping the key would be silent, and a misspelt safety setting
  // (`minimumHealtyHosts`, `maxErorRate`) would fall back to its default and change how a deployment
  // runs, so it is an error rather than a warning.
  'conveyor-only': (kind) =>
    e(
      `a key the ${kind} file format does not define; only Conveyor reads these files, and skipping a misspelt key silently (e.g. \`minimumHealtyHosts\`) would change how a deployment runs, so this is an error`,
    ),
};

const schemaRules = <K extends string>(
  kind: K,
  unknownKeys: UnknownKeyReader,
): Record<SchemaRuleId<K>, RuleInfo> =>
  ({
    [`${kind}/missing-key`]: e(`a key the ${kind} schema requires is missing (points at the parent mapping)`),
    [`${kind}/unknown-key`]: UNKNOWN_KEY[unknownKeys](kind),
    [`${kind}/invalid-type`]: e(`a value of the wrong type (e.g. a mapping where ${kind} wants a string)`),
    [`${kind}/invalid-value`]: e(
      'a value outside what the schema allows: enum, pattern, length, range, list size',
    ),
  }) as Record<SchemaRuleId<K>, RuleInfo>;

export const rules = {
  // ------------------------------------------------------------------ reading the file
  'source/yaml-syntax': e('the text is not valid YAML'),
  'source/json-syntax': e('a .json file is not valid JSON (trailing comma, missing brace, ...)'),
  'source/tab-indent': e(
    'tabs used for indentation (YAML allows only spaces; CodeBuild fails with YAML_FILE_ERROR)',
  ),
  'source/duplicate-key': e(
    'a key repeated in one mapping (YAML forbids it; AWS keeps only one, silently dropping the other)',
  ),
  'source/multiple-documents': e('more than one YAML document in the file'),
  'source/unknown-tag': e('a YAML tag such as !Ref that plain YAML readers (AWS) do not know'),
  'source/alias-limit': e('YAML aliases expand beyond the cap (a "billion laughs" document)'),
  'source/too-large': e('the file is larger than any definition file (2 MB cap)'),
  'source/too-deep': e('nesting deeper than any definition (128 levels)'),
  'source/binary': e('the file is binary (contains NUL bytes)'),
  'source/not-utf8': e('the file is not UTF-8 text (its first bad byte is shown)'),
  'source/empty': e('the file is empty or holds only comments'),
  'source/unreadable': e('the file cannot be read'),
  'source/unknown-kind': e('the document kind cannot be told from the name or content (use --kind)'),
  'internal/rule-crash': e('a rule crashed on this input: a bug in Conveyor, reported instead of lost'),

  // ------------------------------------------------------------------ buildspec
  ...schemaRules('buildspec', 'aws-ignores'),
  'buildspec/quoted-version': w(
    '`version` is a quoted string in a batch buildspec; batch builds need the number 0.2',
  ),
  'buildspec/phases-required': e(
    'no `phases` (only a batch-only buildspec may leave them out)',
    'the reference calls `phases` required, but batch-only buildspecs without it run in production (aws-amplify, ca-risken in the corpus), so a buildspec with `batch` may leave it out',
  ),
  'buildspec/phase-commands': e(
    'a pre_build, build or post_build phase that is present but has no commands: the phase left empty, no `commands` key, `commands:` empty or an empty list (the reference: commands is a "required sequence" when the phase is specified)',
  ),
  'buildspec/unknown-phase': e(
    'a phase name other than install, pre_build, build, post_build (the only names the reference allows), including a dedented `commands:` that YAML reads as a phase',
  ),
  'buildspec/commands-block': w(
    '`commands` or `finally` written as one multi-line string instead of a list: CodeBuild runs it as a single command, so a failing line other than the last does not fail the phase',
  ),
  'buildspec/empty-command': w(
    'an empty item in a commands or finally list (a bare `-` or `- # comment`); CodeBuild runs the list and nothing for that item',
    "the reference says commands are strings, which would make an empty item an error; AWS's own release buildspecs use a bare `-` as a separator and their builds run (issue #14), so it is a warning. The corpus labels one such file invalid (0xKMT); the conformance suite overrides that row with this reason",
  ),
  'buildspec/non-string-command': w(
    'a command YAML reads as a number or boolean (e.g. `- true`); CodeBuild runs its text',
  ),
  'buildspec/unknown-runtime': e(
    'a runtime-versions name no current CodeBuild image knows (or, with --image, that image does not have); CodeBuild fails the build: "Unknown runtime named …"',
  ),
  'buildspec/runtime-version': w(
    'a runtime version no current CodeBuild image has; a warning because the image is not known (pass --image to make it an error)',
  ),
  'buildspec/runtime-version-image': e(
    'a runtime version the given image (--image) does not have; CodeBuild fails the build: "Unknown runtime version named … This build image has the following versions: …"',
  ),
  'buildspec/runtime-version-number': w(
    'a runtime version YAML reads as a different number (`python: 3.10` is 3.1)',
  ),
  'buildspec/version-key': w(
    'a key of the other buildspec version (0.1 `environment_variables` in a 0.2 file)',
  ),
  'buildspec/reserved-variable': w('an env variable name with the reserved CODEBUILD_ prefix'),
  'buildspec/plaintext-secret': w(
    'a plain-text env variable that looks like a secret (use parameter-store or secrets-manager)',
  ),
  'buildspec/yaml11-boolean': w('an unquoted yes/no/on/off value that YAML 1.1 parsers read as a boolean'),
  'buildspec/exported-variable-name': w(
    'an exported variable starting with AWS_, which CodeBuild does not export',
  ),
  'buildspec/batch-kind': e(
    'a batch with more than one of build-list, build-matrix, build-graph, build-fanout',
  ),
  'buildspec/batch-duplicate-identifier': e('two batch builds with the same identifier'),
  'buildspec/batch-unknown-dependency': e('build-graph depend-on names an identifier that does not exist'),
  'buildspec/batch-cycle': e('build-graph dependencies form a cycle (the whole cycle is printed)'),
  'buildspec/report-file-format': e('a report group file-format CodeBuild does not know'),
  'buildspec/report-group-limit': e('more report groups than a project may have (5)'),

  // ------------------------------------------------------------------ appspec
  ...schemaRules('appspec', 'aws-ignores'),
  'appspec/version': e('`version` missing or not 0.0'),
  'appspec/version-format': w('`version` is 0 in value but not written 0.0 (e.g. the JSON integer 0)'),
  'appspec/quoted-version': e(
    'EC2/on-premises `version` written as the string "0.0"; the agent compares it with the number 0.0 and fails the deployment',
    'the CodeDeploy docs say "specify version with a string", but the agent (aws-codedeploy-agent 1.8.1 `application_specification.rb`: `[0.0].include?(version)`; 2.x deserialises an f64) rejects the string, so this follows the agent',
  ),
  'appspec/empty-hook': e(
    "an EC2/on-premises lifecycle event declared with no scripts (`ApplicationStop:` left empty): the agent iterates the event's list without a nil check and the deployment fails",
    "AWS's own AppSpec template leaves events empty, and the documentation does not forbid it; running the same bundle under the real agent (codedeploy-local 1.8.1, issue #14) fails the deployment, so this follows the agent",
  ),
  'appspec/hook-name': e('a lifecycle event name the compute platform does not have'),
  'appspec/reserved-hook': e(
    'a hook on an event CodeDeploy runs itself (DownloadBundle, Install, AllowTraffic, ...)',
  ),
  'appspec/hook-timeout-max': e('a hook script timeout above 3600 seconds (or below 1)'),
  'appspec/hook-timeout-total': e('the timeouts of one lifecycle event add up to more than 3600 seconds'),
  'appspec/quoted-timeout': w('a hook timeout written as a string'),
  'appspec/runas-windows': w('`runas` on a Windows AppSpec (Linux only)'),
  'appspec/file-source-url': e('a `files` source that is a URL instead of a path in the revision'),
  'appspec/file-source-escapes': e('a `files` source or hook script path that leaves the revision folder'),
  'appspec/file-source-missing': e(
    'a `files` source that does not exist in the revision folder (with --revision)',
  ),
  'appspec/hook-script-missing': e(
    'a hook script that does not exist in the revision folder (with --revision)',
  ),
  'appspec/link-outside-revision': w(
    'a link in a `files` source that points outside the revision folder (with --revision)',
  ),
  'appspec/file-destination-relative': w('a `files` destination that is not a fully qualified path'),
  'appspec/permissions-windows': e('`permissions` in a Windows AppSpec (Linux only)'),
  'appspec/octal-mode': w(
    'an unquoted mode with a leading zero, read as octal by the agent (0644 becomes 420)',
  ),
  'appspec/permission-mode': e('a mode that is not 3-4 octal digits'),
  'appspec/acl-entry': e('an acls entry that does not follow [d:]{u|g|m|o}:[name]:perms'),
  'appspec/selinux-range': e(
    'an SELinux context range that does not follow s<low>[-s<high>][:c<a>[.c<b>],...]',
  ),
  'appspec/ecs-task-definition': e('an ECS TaskDefinition that is neither an ARN nor <TASK_DEFINITION>'),
  'appspec/container-port': w('an ECS ContainerPort given as a string, or outside 1-65535'),
  'appspec/ecs-network-configuration': e(
    'AwsvpcConfiguration with only some of Subnets, SecurityGroups, AssignPublicIp',
  ),
  'appspec/ecs-capacity-provider': e('CapacityProviderStrategy with more than one Base or no Weight above 0'),
  'appspec/lambda-version': e('a Lambda CurrentVersion/TargetVersion that is not a positive whole number'),
  'appspec/lambda-same-version': w('a Lambda TargetVersion equal to CurrentVersion'),
  'appspec/key-casing': w(
    'an ECS/Lambda key in an undocumented casing, or PascalCase and lowercase keys mixed in one file',
  ),
  'appspec/yaml11-boolean': w('an unquoted yes/no/on/off value that YAML 1.1 parsers read as a boolean'),

  // ------------------------------------------------------------------ pipeline
  ...schemaRules('pipeline', 'aws-rejects'),
  'pipeline/min-stages': e('fewer than 2 stages'),
  'pipeline/action-limit': e('more than 500 actions in the pipeline'),
  'pipeline/artifact-store': e(
    'not exactly one of artifactStore/artifactStores, or a cross-region action without a store for its region',
  ),
  'pipeline/duplicate-stage-name': e('two stages with the same name'),
  'pipeline/duplicate-action-name': e('two actions with the same name in one stage'),
  'pipeline/first-stage-source': e('the first stage is not made only of source actions'),
  'pipeline/source-not-first': e('a source action outside the first stage'),
  'pipeline/duplicate-output-artifact': e('two actions produce an output artifact of the same name'),
  'pipeline/artifact-not-produced': e('an input artifact that no action produces'),
  'pipeline/artifact-order': e('an input artifact consumed before (or while) the action producing it runs'),
  'pipeline/clone-ref-consumer': e(
    'a CODEBUILD_CLONE_REF source artifact consumed by a non-CodeBuild action',
  ),
  'pipeline/artifact-count': e('an action with more or fewer input/output artifacts than its provider takes'),
  'pipeline/missing-configuration': e('a configuration key the action provider requires is missing'),
  'pipeline/configuration-value': e(
    'a configuration value the provider does not accept (not an input artifact, bad enum, bad JSON)',
  ),
  'pipeline/namespace-conflict': e('a namespace declared twice, reserved, or equal to an artifact name'),
  'pipeline/unknown-variable': e(
    'a #{namespace.variable} reference to a namespace no action declares, to the namespace of an action that does not run before it (a later stage, or the same stage at the same or a later runOrder), or to a pipeline variable `variables` does not declare',
  ),
  'pipeline/unknown-output-variable': e(
    'a #{namespace.variable} reference to a variable the producing action never emits: CodeCommit, CodeStarSourceConnection, S3 and ECR source actions, GitHub (version 1) and Commands (its `outputVariables`) have fixed lists, and the reserved `codepipeline` namespace has only PipelineExecutionId. An error because CodePipeline fails the consuming action at run time ("one or more variables could not be resolved"). References to CodeBuild (see cross/exported-variable), CloudFormation (stack outputs), Lambda and other providers are never reported: their variables cannot be known from the definition',
  ),
  'pipeline/action-timeout': w('timeoutInMinutes on an action type that ignores it'),
  'pipeline/v2-only': e(
    'a V2-only feature (variables, triggers, QUEUED/PARALLEL, stage conditions, Commands) in a V1 pipeline',
  ),
  'pipeline/implicit-v2': w(
    'no pipelineType, but a V2-only parameter (triggers, variables, QUEUED/PARALLEL, stage conditions, Commands): CodePipeline creates the pipeline as V2, with V2 pricing; a pipeline without any is V1 (validate, import and the drift check all read a missing pipelineType this way)',
  ),
  'pipeline/trigger-source-action': e(
    'a trigger whose sourceActionName is not a CodeStarSourceConnection source action, or a second trigger for one',
  ),
  'pipeline/trigger-filter': e('a trigger filter combination CodePipeline does not take'),
  'pipeline/condition-result': e(
    'a stage condition result not allowed where it is (beforeEntry FAIL/SKIP, onSuccess ROLLBACK/FAIL, onFailure ROLLBACK/RETRY)',
  ),
  'pipeline/condition-rule': e(
    'an unknown condition rule provider, or a rule a SKIP entry condition does not allow',
  ),

  // ------------------------------------------------------------------ deployment group
  ...schemaRules('deployment-group', 'conveyor-only'),
  'deployment-group/provider-refuses': e(
    "what `conveyor deploy` refuses for the group's provider, checked without calling AWS: with `provider: codedeploy` and a `computePlatform`, a strategy CodeDeploy cannot run there (canary or linear on Server, blue-green on ECS/Lambda, an explicit step list it has no config for)",
  ),
  'deployment-group/rollback-hook-missing': e(
    'a rollback hook script (rollback.hooks) that does not exist relative to the group file',
  ),
  'deployment-group/check-command-missing': w(
    "a command check (analysis.checks) whose program is a relative path (argv[0], or a shell line's plain first word such as ./smoke.sh) that does not exist relative to the group file, the folder the check runs in. A warning: the script may be written before `deploy` runs",
  ),

  // ------------------------------------------------------------------ across files
  'cross/codebuild-secondary-artifacts': e(
    'a CodeBuild action with several outputs whose names are not secondary-artifacts identifiers of its buildspec',
  ),
  'cross/codedeploy-appspec': e(
    'a CodeDeploy action whose input artifact cannot carry appspec.yml at its root',
  ),
  'cross/exported-variable': w(
    'a #{namespace.variable} reference to a CodeBuild action variable its buildspec (checked in the same run) does not list in env.exported-variables. A warning, not an error: which buildspec a project runs is matched by file name, and the project may run another',
  ),
  'cross/ecs-template-artifact': e(
    'a CodeDeployToECS action whose template artifact (built by a buildspec) does not include taskdef.json / appspec.yaml',
  ),
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof rules;
