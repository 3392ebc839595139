import { buildDepartmentSchema, runMain } from '@zigong/kit';
import { DEPARTMENT_NAME } from './department-name';
import { loadDepartment } from './registry';
import { checkDepartmentSchema, formatSchemaCheckReport } from './schema-check';

/**
 * `npm run schema:check -- <department>`: the department's SDL as its code prints it now,
 * checked against the committed schema of the others, the API, the contract and the registered
 * operations. Exit 0 when safe (warnings allowed), 1 when not, 2 for a wrong invocation.
 */
runMain(async () => {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || rest.length || !DEPARTMENT_NAME.test(name)) {
    console.error('Usage: npm run schema:check -- <department>   (e.g. tourism)');
    process.exit(2);
  }
  let department;
  try {
    department = loadDepartment(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    console.error(`No department "${name}": neither @zigong/${name} nor subgraphs/${name} can be loaded (is it built?).`);
    process.exit(2);
  }
  const { sdl } = await buildDepartmentSchema(department);
  const report = checkDepartmentSchema(name, sdl);
  console.log(formatSchemaCheckReport(report));
  process.exit(report.errors.length ? 1 : 0);
});
