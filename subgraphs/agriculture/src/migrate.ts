import { migrateMain } from '@zigong/kit';
import { agriculture } from './index';

migrateMain(agriculture);
