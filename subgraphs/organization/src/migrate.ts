import { migrateMain } from '@zigong/kit';
import { organization } from './index';

migrateMain(organization);
