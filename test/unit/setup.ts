// Set up once per test file (vitest setupFiles): the tfjs backend the library would pick here,
// or the one MBRL_BACKEND names, so that the whole unit suite can run on each backend in turn
// (MBRL_BACKEND=cpu npm run test:unit). Tests that compare backends switch explicitly.
import { beforeAll } from "vitest";
import { initBackend } from "../../src/backend";

beforeAll(async () => {
  await initBackend();
});
