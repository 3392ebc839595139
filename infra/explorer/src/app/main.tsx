import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './explorer.css';
import { fetcher } from './fetcher';
import { readSavedOperations } from './saved-operations';
import { SAVED_QUESTIONS_TITLE, savedQuestionsPlugin } from './saved-questions';

const WELCOME = `# Zigong collective-economy graph: the analysts' explorer.
#
# Saved questions (bookmark icon, left) open ready-made queries.
# Documentation (book icon) browses the schema; Ctrl-Space completes fields.
# Signed-in requests: open Headers below and paste
#   { "Authorization": "Bearer <your token>" }
# then re-fetch the schema (circular arrow, left) if it did not load.

query Districts {
  regions(level: DISTRICT) {
    id
    name
  }
}
`;

const operations = readSavedOperations();
const savedQuestions = savedQuestionsPlugin(operations);
const container = document.getElementById('explorer');
if (!container) throw new Error('The explorer page has no #explorer element to render into.');

createRoot(container).render(
  <GraphiQL
    fetcher={fetcher}
    plugins={[savedQuestions]}
    visiblePlugin={operations.length > 0 ? SAVED_QUESTIONS_TITLE : undefined}
    defaultQuery={WELCOME}
    defaultEditorToolsVisibility
    isHeadersEditorEnabled
    shouldPersistHeaders={false}
  >
    <GraphiQL.Logo>Zigong explorer</GraphiQL.Logo>
  </GraphiQL>,
);
