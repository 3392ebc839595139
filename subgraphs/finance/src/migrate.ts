import { migrateMain } from '@zigong/kit';
import { finance } from './index';

migrateMain(finance);
